package chat

import (
	"errors"
	"fmt"
)

// Sentinel errors returned by the Desk, Conversation handles and every Store.
// Test for them with errors.Is; the returned error usually wraps one of these
// with a message that names the offending field or id.
var (
	// ErrNotFound means the visitor, agent, conversation or message does not exist.
	ErrNotFound = errors.New("chat: not found")
	// ErrInvalid means the input was rejected before anything was written:
	// a missing or malformed id, an empty or over-long body, invalid UTF-8, an
	// unknown status, a page limit out of range.
	ErrInvalid = errors.New("chat: invalid input")
	// ErrConflict means the write lost a race or would break a uniqueness rule:
	// a duplicate id, or an update based on a stale Version.
	ErrConflict = errors.New("chat: conflict")
	// ErrClosed means the conversation is closed and takes no more messages,
	// or the Desk or Store has been closed.
	ErrClosed = errors.New("chat: closed")
	// ErrAgentBusy means the agent already has as many open conversations
	// as their Capacity allows.
	ErrAgentBusy = errors.New("chat: agent at capacity")
	// ErrKeyReused means a message repeats the idempotency key of a stored
	// message of the conversation but differs from it (in author, body,
	// attachments or being a note): it is not a retry, and nothing was
	// stored. The client should send it with a new key.
	ErrKeyReused = errors.New("chat: idempotency key used by another message")
	// ErrSlowConsumer is reported by Subscription.Err when the subscriber did
	// not keep up and its bounded buffer overflowed. The subscriber should
	// resubscribe and read what it missed from the history.
	ErrSlowConsumer = errors.New("chat: subscriber too slow, events dropped")
	// ErrBlocked means a block in force matches the visitor; see Desk.Blocked.
	ErrBlocked = errors.New("chat: visitor blocked")
)

// invalid returns an error wrapping ErrInvalid with a readable reason.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}
