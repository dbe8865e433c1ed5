package transport

import (
	"context"

	"github.com/parleychat/parley/chat"
)

// note posts an agent's private note: a message marked internal, which
// agents receive like any other and visitors never do (the Desk does not
// publish it on the visitor's topic, and a visitor's connection skips it
// when catching up). It is answered with an ack, as a send is.
func (ss *session) note(ctx context.Context, conv chat.Conversation, f ClientFrame) (outItem, error) {
	m, err := conv.Post(ctx, chat.Message{Author: ss.author(), Body: f.Body, IdempotencyKey: f.Key, Internal: true})
	if err != nil {
		return outItem{}, err
	}
	if !m.Internal {
		// The key was used by a public message, which is what the store
		// returned: the note was not stored.
		return outItem{}, protoErr(CodeInvalid, "the key %.64q is taken by a message of the conversation; use a new key", f.Key)
	}
	return outItem{frame: ackFrame(f, m)}, nil
}

// ackFrame answers send or note frame f: message m is stored.
func ackFrame(f ClientFrame, m chat.Message) *ServerFrame {
	return &ServerFrame{Type: FrameAck, ID: f.ID, ConversationID: m.ConversationID, Key: f.Key, MessageID: m.ID, Seq: m.Seq}
}
