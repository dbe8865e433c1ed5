package chat

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// ReplyNotice is an email of agents' replies scheduled for a visitor who
// left the chat: when it is due, the replies after After that the visitor
// has not seen are emailed to them, unless they came back first.
type ReplyNotice struct {
	ConversationID uuid.UUID
	VisitorID      uuid.UUID
	After          int64     // the replies with a higher Seq go in the email
	Due            time.Time // when to send it
}

// Validate reports with ErrInvalid why n cannot be stored.
func (n ReplyNotice) Validate() error {
	if n.After < 0 {
		return invalid("reply notice After %d is negative", n.After)
	}
	return firstErr(checkID("conversation id", n.ConversationID), checkID("visitor id", n.VisitorID), checkTime("reply notice due time", n.Due))
}

// ReplyNoticeStore keeps the reply notices waiting to be sent, so that
// they survive a restart and are sent by whichever instance sweeps when
// they are due.
//
// Rules, besides those of Store:
//   - A conversation has at most one notice waiting.
//   - Due is kept as Timestamp; a notice is due at t when Due is at or
//     before t.
//   - The conversation and visitor need not be stored.
type ReplyNoticeStore interface {
	// ScheduleReplyNotice stores n, after checking it with Validate,
	// unless a notice of its conversation is waiting, which is kept. It
	// reports whether n was stored.
	ScheduleReplyNotice(ctx context.Context, n ReplyNotice) (scheduled bool, err error)
	// DueReplyNotices returns the notices due at at, by Due and then
	// ConversationID (compared as 16 bytes), at most limit of them. limit
	// follows the rules of MessageQuery.Limit.
	DueReplyNotices(ctx context.Context, at time.Time, limit int) ([]ReplyNotice, error)
	// TakeReplyNotice deletes the notice of n.ConversationID if its After
	// is n.After, and reports whether it did: of the callers taking one
	// notice at once, one gets true and sends it. A notice that is gone,
	// or that was cancelled and scheduled again since, reports false.
	TakeReplyNotice(ctx context.Context, n ReplyNotice) (taken bool, err error)
	// CancelReplyNotices deletes the notices waiting for visitorID. None
	// is not an error.
	CancelReplyNotices(ctx context.Context, visitorID uuid.UUID) error
}

// CheckDueReplyNotices checks the arguments of DueReplyNotices, which
// stores call it with first: it returns limit as CheckLimit does, and
// ErrInvalid for a bad limit or an at outside the years 1970 to 9999.
func CheckDueReplyNotices(at time.Time, limit int) (int, error) {
	limit, err := CheckLimit(limit)
	if err != nil {
		return 0, err
	}
	return limit, checkTime("reply notice time", at)
}

// CheckReplyVisitor reports with ErrInvalid that the visitor id given to
// CancelReplyNotices is missing. Stores call it first.
func CheckReplyVisitor(visitorID uuid.UUID) error { return checkID("visitor id", visitorID) }
