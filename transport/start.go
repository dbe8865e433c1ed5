package transport

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// startNamespace is the UUID namespace of the ids of conversations that
// visitors start.
var startNamespace = uuid.MustParse("f7ed0e23-e244-4842-9be9-841d759f59c7")

// startID returns the id of the conversation a visitor's start names with
// requested. Taken as the conversation's id, a requested id would tell a
// visitor who guessed or saw another visitor's id that it exists (the
// start would fail) and make them retry in vain. So it is only the
// start's idempotency key: the conversation gets a name-based UUID of the
// visitor and the key, and a retry of the same start by the same visitor
// reaches the same conversation while the answer never depends on other
// visitors' conversations. A requested id that is one of the visitor's
// own conversations, the id a started frame returned, names that
// conversation. uuid.Nil leaves the choice to the Desk.
func (ss *session) startID(ctx context.Context, requested uuid.UUID) (uuid.UUID, error) {
	if requested == uuid.Nil {
		return uuid.Nil, nil
	}
	c, err := ss.srv.desk.Store().Conversation(ctx, requested)
	switch {
	case err == nil && c.VisitorID == ss.visitor.ID:
		return requested, nil
	case err != nil && !errors.Is(err, chat.ErrNotFound):
		return uuid.Nil, err
	}
	name := make([]byte, 0, 2*len(requested))
	name = append(append(name, ss.visitor.ID[:]...), requested[:]...)
	return uuid.NewSHA1(startNamespace, name), nil
}
