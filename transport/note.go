package transport

import (
	"context"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// note posts an agent's private note: a message marked internal, which
// agents receive like any other and visitors never do (the Desk does not
// publish it on the visitor's topic, and a visitor's connection skips it
// when catching up). It is answered with an ack, as a send is.
func (ss *session) note(ctx context.Context, conv chat.Conversation, f wire.ClientFrame) (outItem, error) {
	m, err := conv.Post(ctx, chat.Message{Author: ss.author(), Body: f.Body, IdempotencyKey: f.Key, Internal: true})
	if err != nil {
		return outItem{}, err // a key a public message has is chat.ErrKeyReused
	}
	return outItem{frame: ackFrame(f, m)}, nil
}

// ackFrame answers send or note frame f: message m is stored.
func ackFrame(f wire.ClientFrame, m chat.Message) *wire.ServerFrame {
	return &wire.ServerFrame{Type: wire.FrameAck, ID: f.ID, ConversationID: m.ConversationID, Key: f.Key, MessageID: m.ID, Seq: m.Seq}
}
