package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// ProtocolVersion is the version of the wire protocol this package speaks.
// Clients send it in their hello frame; docs/protocol.md describes it.
const ProtocolVersion = 1

// Client frame types: what a visitor's widget or an agent's console sends.
const (
	FrameHello    = "hello"    // first frame: version and identity
	FrameStart    = "start"    // start a conversation
	FrameSend     = "send"     // post a message
	FrameSync     = "sync"     // ask for the messages after a seq, then live traffic
	FrameTyping   = "typing"   // started or stopped typing
	FrameRead     = "read"     // seen every message up to seq
	FramePresence = "presence" // online, away (agents: also offline)
	FrameRate     = "rate"     // rating and "was your issue resolved?"
	FrameClose    = "close"    // close a conversation
	FramePage     = "page"     // the visitor opened a page
	FrameAssign   = "assign"   // agents: take or transfer a conversation
	FramePing     = "ping"     // heartbeat; answered with pong
	FramePong     = "pong"     // answer to the server's ping

	FrameInviteReply = "invite_reply" // visitors: accept or dismiss an invitation
	FrameHistory     = "history"      // agents: a visitor's conversations; answered with history
	FrameNote        = "note"         // agents: post a private note; answered with ack

	FrameTranscript = "transcript" // visitors: email me the transcript
	FrameTransfer   = "transfer"   // agents: hand a conversation to another agent or department
	FrameStats      = "stats"      // agents: the service report of a period; answered with stats

	FrameBlock   = "block"   // agents: block visitors; answered with block
	FrameUnblock = "unblock" // agents: lift a block
	FrameBlocks  = "blocks"  // agents: the blocks in force; answered with blocks

	FrameUnwatch = "unwatch" // agents: stop following a conversation a sync started to watch

	FrameAction = "action" // agents: run one of the shop's actions on a conversation; answered with ack
	FrameCart   = "cart"   // visitors: the cart changed from the chat (a product card's "add to cart"); answered with ok

	FrameExport = "export" // agents allowed by the shop: everything kept about a visitor; answered with export
	FrameErase  = "erase"  // agents allowed by the shop: erase a visitor and everything kept about them
)

// Server frame types that are not client frame types too. Events use the
// names of chat.EventType: message, assigned, status, rated, typing, read,
// presence.
const (
	FrameWelcome   = "welcome"   // answer to hello
	FrameStarted   = "started"   // answer to start
	FrameAck       = "ack"       // answer to send: the message is stored
	FrameSynced    = "synced"    // end of the missed messages of a sync
	FrameOK        = "ok"        // answer to a request that returns nothing else
	FrameError     = "error"     // a request failed, or the connection is closing
	FrameReconnect = "reconnect" // the server is going away; connect again
)

// Server frame types of the agents' live visitor list (live.go).
const (
	FrameVisitor     = "visitor"      // a visitor on the site changed: state is their entry
	FrameVisitorLeft = "visitor_left" // a visitor left the site
	FrameInvite      = "invite"       // to a visitor: an invitation to chat
)

// FrameConversations is the agents' summary of the shop's conversations
// that changed: their current states and queue places, sent at a bounded
// rate per connection.
const FrameConversations = "conversations"

// QueuePlace is a queued conversation's place in a conversations summary.
type QueuePlace struct {
	ConversationID uuid.UUID `json:"conversation_id"`
	Position       int       `json:"position"`          // 1 is next
	WaitMS         int64     `json:"wait_ms,omitempty"` // the estimated wait
}

// FrameQueue tells a queued visitor, and the agents, the conversation's
// place in the queue and the estimated wait. It is chat.EventQueue.
const FrameQueue = string(chat.EventQueue)

// Error codes carried by error frames. They are stable: clients switch on
// them, and new codes are only ever added.
const (
	CodeBadFrame          = "bad_frame"            // not JSON, or a field has the wrong type
	CodeUnsupported       = "unsupported_version"  // the hello's version is not spoken here
	CodeUnknownType       = "unknown_type"         // the frame type is unknown, or not allowed to this side
	CodeHelloFirst        = "hello_first"          // a frame came before hello, or hello came twice
	CodeInvalid           = "invalid"              // a field is missing or breaks a limit
	CodeTooLarge          = "too_large"            // the frame is over the size limit
	CodeUnauthorized      = "unauthorized"         // a token or the agent's session is not valid
	CodeTokenExpired      = "token_expired"        // the identity token has expired
	CodeNotFound          = "not_found"            // no such conversation, or not yours
	CodeClosed            = "closed"               // the conversation is closed
	CodeConflict          = "conflict"             // a concurrent change won; retry
	CodeRateLimited       = "rate_limited"         // too many frames; retry after retry_after_ms
	CodeTooManyConns      = "too_many_connections" // the visitor has too many connections open
	CodeSlowConsumer      = "slow_consumer"        // the client did not keep up; resume
	CodeHeartbeatTimeout  = "heartbeat_timeout"    // the client stopped answering pings
	CodeUnavailable       = "unavailable"          // the server is shutting down; retry elsewhere or later
	CodeInternal          = "internal"             // a server fault; retrying may help
	CodeAgentBusy         = "agent_busy"           // the agent is at capacity or not online
	CodeBlocked           = "blocked"              // the visitor is blocked from chatting
	CodeKeyReused         = "key_reused"           // the idempotency key belongs to another message
	CodeWrongInstance     = "wrong_instance"       // SSE: the session is held by another instance
	CodeForbidden         = "forbidden"            // the shop's permission check refused the agent this action
	CodeActionFailed      = "action_failed"        // the shop's action failed; the message says why
	MaxRequestIDBytes     = 64
	maxIdempotencyKeyByte = chat.MaxIDBytes
)

// ClientFrame is one frame from a client. Every frame is a JSON object
// with a type; which other fields count depends on the type, as listed in
// docs/protocol.md. Unknown fields are ignored so that newer clients work
// with older servers.
type ClientFrame struct {
	Type string `json:"type"`
	// ID is the client's request id, echoed in the answer or error. Any
	// string up to 64 bytes; clients usually count.
	ID string `json:"id,omitempty"`

	V        int    `json:"v,omitempty"`        // hello
	Token    string `json:"token,omitempty"`    // hello: the visitor token from an earlier welcome
	Identity string `json:"identity,omitempty"` // hello: the shop-signed customer identity
	Lang     string `json:"lang,omitempty"`     // hello: the language the widget shows, a BCP 47 tag

	ConversationID uuid.UUID `json:"conversation_id,omitzero"`
	VisitorID      uuid.UUID `json:"visitor_id,omitzero"` // start by an agent: whom to talk to
	Department     string    `json:"department,omitempty"`
	AgentID        string    `json:"agent_id,omitempty"` // assign: to whom; empty means the sender

	Key      string        `json:"key,omitempty"`  // send: idempotency key, required
	Body     string        `json:"body,omitempty"` // send
	AfterSeq int64         `json:"after_seq,omitempty"`
	Seq      int64         `json:"seq,omitempty"` // read
	Typing   bool          `json:"typing,omitempty"`
	Presence chat.Presence `json:"presence,omitempty"`
	Rating   int           `json:"rating,omitempty"`
	Resolved *bool         `json:"resolved,omitempty"`

	URL      string `json:"url,omitempty"` // page
	Title    string `json:"title,omitempty"`
	Referrer string `json:"referrer,omitempty"`

	InvitationID uuid.UUID `json:"invitation_id,omitzero"` // invite_reply
	Accept       bool      `json:"accept,omitempty"`       // invite_reply: true starts the conversation

	Before uuid.UUID `json:"before,omitzero"` // history: list the conversations older than this one

	Name  string `json:"name,omitempty"`  // start by a visitor: the pre-chat form's name
	Email string `json:"email,omitempty"` // start by a visitor, transcript: where email goes

	From     string `json:"from,omitempty"` // stats: RFC 3339 start of the period
	To       string `json:"to,omitempty"`   // stats: RFC 3339 end of the period, excluded
	TimeZone string `json:"tz,omitempty"`   // hello: the visitor's IANA zone; stats: the zone of days and hours, empty is the desk's

	CustomerID string    `json:"customer_id,omitempty"` // block: the shop's customer id
	Network    string    `json:"network,omitempty"`     // block: an IP network in CIDR notation
	DurationMS int64     `json:"duration_ms,omitempty"` // block: how long; 0 means until lifted
	Reason     string    `json:"reason,omitempty"`      // block: why, for the agents
	BlockID    uuid.UUID `json:"block_id,omitzero"`     // unblock

	Action string `json:"action,omitempty"` // action: the name of the shop's action
	Input  string `json:"input,omitempty"`  // action: what the agent typed for it, if it asks
}

// ServerFrame is one frame from the server.
type ServerFrame struct {
	Type string `json:"type"`
	ID   string `json:"id,omitempty"` // the request this answers

	V           int                     `json:"v,omitempty"`            // welcome
	Token       string                  `json:"token,omitempty"`        // welcome: keep it and send it in the next hello
	Visitor     *chat.Visitor           `json:"visitor,omitempty"`      // welcome to a visitor
	Agent       *chat.Agent             `json:"agent,omitempty"`        // welcome to an agent
	Session     string                  `json:"session,omitempty"`      // welcome over SSE: where to POST frames
	HeartbeatMS int64                   `json:"heartbeat_ms,omitempty"` // welcome: the server pings this often
	TimeoutMS   int64                   `json:"timeout_ms,omitempty"`   // welcome: silence after which either side gives up
	Limits      *Limits                 `json:"limits,omitempty"`       // welcome: the sizes the server accepts
	Open        []chat.ConversationInfo `json:"conversations,omitempty"`

	// Availability and Contact are for a visitor's welcome: whether the
	// chat is answered now, and how else to reach the shop.
	Availability *Availability `json:"availability,omitempty"`
	Contact      *Contact      `json:"contact,omitempty"`

	Visitors      []VisitorState   `json:"visitors,omitempty"`        // welcome to an agent: who is on the site
	Canned        []CannedResponse `json:"canned,omitempty"`          // welcome to an agent: canned responses
	WaitWarningMS int64            `json:"wait_warning_ms,omitempty"` // welcome to an agent: warn after a wait this long
	Actions       []Action         `json:"actions,omitempty"`         // welcome to an agent: the shop's actions

	ConversationID  uuid.UUID              `json:"conversation_id,omitzero"`
	Conversation    *chat.ConversationInfo `json:"conversation,omitempty"`
	Message         *chat.Message          `json:"message,omitempty"`
	Key             string                 `json:"key,omitempty"`       // ack
	MessageID       uuid.UUID              `json:"message_id,omitzero"` // ack
	Seq             int64                  `json:"seq,omitempty"`       // ack, read
	LastSeq         int64                  `json:"last_seq,omitempty"`  // synced
	Author          *chat.Author           `json:"author,omitempty"`    // typing, read, presence, assigned
	Typing          bool                   `json:"typing,omitempty"`    // typing
	Presence        chat.Presence          `json:"presence,omitempty"`  // presence
	AgentID         string                 `json:"agent_id,omitempty"`  // assigned
	PreviousAgentID string                 `json:"previous_agent_id,omitempty"`
	At              string                 `json:"at,omitempty"` // events: RFC 3339 time

	VisitorID    uuid.UUID     `json:"visitor_id,omitzero"`    // visitor, visitor_left
	State        *VisitorState `json:"state,omitempty"`        // visitor: the visitor's entry
	InvitationID uuid.UUID     `json:"invitation_id,omitzero"` // invite, and the answers to invite_reply
	Body         string        `json:"body,omitempty"`         // invite: the invitation's text

	Position int          `json:"position,omitempty"` // queue: 1 is next
	WaitMS   int64        `json:"wait_ms,omitempty"`  // queue: the estimated wait
	Stats    *chat.Report `json:"stats,omitempty"`    // stats
	More     bool         `json:"more,omitempty"`     // history: older conversations remain; ask with before

	// Queue is the changed queue places of a conversations summary, whose
	// changed conversations are in Open.
	Queue []QueuePlace `json:"queue,omitempty"`

	Block  *chat.Block  `json:"block,omitempty"`  // block
	Blocks []chat.Block `json:"blocks,omitempty"` // blocks

	Export *chat.VisitorExport `json:"export,omitempty"` // export

	Error *ErrorBody `json:"error,omitempty"`
}

// Limits are the sizes the server accepts, in bytes of UTF-8. The welcome
// carries them so that a client can warn before it sends something the
// server would refuse.
type Limits struct {
	Body  int `json:"body"`  // a message or note body: chat.MaxBodyBytes
	Name  int `json:"name"`  // a visitor's name in start: chat.MaxNameBytes
	Email int `json:"email"` // an email address in start or transcript: chat.MaxEmailBytes
}

// ErrorBody says why a request failed.
type ErrorBody struct {
	Code         string `json:"code"`
	Message      string `json:"message"`
	RetryAfterMS int64  `json:"retry_after_ms,omitempty"`
	// Field names the frame field that was refused, when the server can
	// point at one: "email" of a start or a transcript.
	Field string `json:"field,omitempty"`
}

// Error is a protocol error: a stable Code for programs and a Message for
// people. DecodeClientFrame and the server's handlers return it; errors.As
// finds it.
type Error struct {
	Code    string
	Message string
	Field   string // the frame field that was refused, if one was
}

// Error returns the code and the message.
func (e *Error) Error() string { return "wire: " + e.Code + ": " + e.Message }

// Errorf returns an *Error with code and a message formatted as fmt.Sprintf.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// DecodeClientFrame parses one client frame and checks the fields its type
// requires. It never panics; every failure is an *Error with a code from
// the Code constants.
func DecodeClientFrame(data []byte) (ClientFrame, error) {
	var f ClientFrame
	if !utf8.Valid(data) {
		return f, Errorf(CodeBadFrame, "the frame is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return ClientFrame{}, Errorf(CodeBadFrame, "field %q has the wrong type", typeErr.Field)
		}
		return ClientFrame{}, Errorf(CodeBadFrame, "the frame is not a JSON object: %v", err)
	}
	if dec.More() {
		return ClientFrame{}, Errorf(CodeBadFrame, "data follows the JSON object")
	}
	if len(f.ID) > MaxRequestIDBytes {
		return ClientFrame{}, Errorf(CodeInvalid, "id is over %d bytes", MaxRequestIDBytes)
	}
	if err := f.check(); err != nil {
		return ClientFrame{}, err
	}
	return f, nil
}

// check applies the per-type rules that need no server state.
func (f ClientFrame) check() error {
	needConversation := func() error {
		if f.ConversationID == uuid.Nil {
			return Errorf(CodeInvalid, "%s needs conversation_id", f.Type)
		}
		return nil
	}
	switch f.Type {
	case "":
		return Errorf(CodeBadFrame, "the frame has no type")
	case FrameHello:
		if f.V <= 0 {
			return Errorf(CodeInvalid, "hello needs the protocol version v")
		}
		if f.Lang != "" && chat.CheckLocale(f.Lang) != nil {
			return Errorf(CodeInvalid, "lang %.64q is not a language tag", f.Lang)
		}
		if f.TimeZone != "" && chat.CheckTimeZone(f.TimeZone) != nil {
			return Errorf(CodeInvalid, "tz %.64q is not a known time zone", f.TimeZone)
		}
	case FrameSend, FrameNote:
		if err := needConversation(); err != nil {
			return err
		}
		if f.Key == "" || len(f.Key) > maxIdempotencyKeyByte {
			return Errorf(CodeInvalid, "%s needs an idempotency key of 1 to %d bytes", f.Type, maxIdempotencyKeyByte)
		}
		if len(f.Body) > chat.MaxBodyBytes {
			return Errorf(CodeInvalid, "the message is %d bytes, over the limit of %d", len(f.Body), chat.MaxBodyBytes)
		}
	case FrameSync, FrameTyping, FrameClose, FrameRate, FrameAssign, FrameUnwatch:
		if err := needConversation(); err != nil {
			return err
		}
		if f.AfterSeq < 0 {
			return Errorf(CodeInvalid, "after_seq is negative")
		}
	case FrameRead:
		if err := needConversation(); err != nil {
			return err
		}
		if f.Seq < 0 {
			return Errorf(CodeInvalid, "seq is negative")
		}
	case FramePresence:
		if f.Presence != chat.PresenceOnline && f.Presence != chat.PresenceAway && f.Presence != chat.PresenceOffline {
			return Errorf(CodeInvalid, "presence must be online, away or offline")
		}
	case FramePage:
		if f.URL == "" {
			return Errorf(CodeInvalid, "page needs url")
		}
	case FrameHistory:
		if f.VisitorID == uuid.Nil {
			return Errorf(CodeInvalid, "history needs visitor_id")
		}
	case FrameInviteReply:
		if f.InvitationID == uuid.Nil {
			return Errorf(CodeInvalid, "invite_reply needs invitation_id")
		}
	case FrameStart:
		if err := checkBytes("name", f.Name, chat.MaxNameBytes); err != nil {
			return err
		}
		return checkBytes("email", f.Email, chat.MaxEmailBytes)
	case FrameTranscript:
		if err := needConversation(); err != nil {
			return err
		}
		return checkBytes("email", f.Email, chat.MaxEmailBytes)
	case FrameTransfer:
		if err := needConversation(); err != nil {
			return err
		}
		if f.AgentID == "" && f.Department == "" {
			return Errorf(CodeInvalid, "transfer needs agent_id or department")
		}
	case FrameStats:
		if _, _, err := f.Period(); err != nil {
			return err
		}
	case FrameBlock, FrameUnblock, FrameBlocks:
		return f.checkBlock()
	case FrameAction:
		if err := needConversation(); err != nil {
			return err
		}
		if f.Key == "" || len(f.Key) > maxIdempotencyKeyByte {
			return Errorf(CodeInvalid, "action needs an idempotency key of 1 to %d bytes", maxIdempotencyKeyByte)
		}
		if f.Action == "" || len(f.Action) > MaxActionNameBytes {
			return Errorf(CodeInvalid, "action needs the action's name, at most %d bytes", MaxActionNameBytes)
		}
		return checkBytes("input", f.Input, MaxActionInputBytes)
	case FrameExport, FrameErase:
		if f.VisitorID == uuid.Nil {
			return Errorf(CodeInvalid, "%s needs visitor_id", f.Type)
		}
	case FramePing, FramePong, FrameCart:
	default:
		return Errorf(CodeUnknownType, "unknown frame type %.32q", f.Type)
	}
	return nil
}

// checkBytes refuses a field of more than max bytes of UTF-8, naming it.
func checkBytes(field, s string, max int) error {
	if len(s) > max {
		return Errorf(CodeInvalid, "%s is %d bytes, over the limit of %d", field, len(s), max)
	}
	return nil
}

// Period parses the from and to of a stats frame.
func (f ClientFrame) Period() (from, to time.Time, err error) {
	from, err1 := time.Parse(time.RFC3339, f.From)
	to, err2 := time.Parse(time.RFC3339, f.To)
	if err1 != nil || err2 != nil || !from.Before(to) {
		return from, to, Errorf(CodeInvalid, "stats needs from before to, as RFC 3339 times")
	}
	if len(f.TimeZone) > chat.MaxTimeZoneBytes {
		return from, to, Errorf(CodeInvalid, "tz is over %d bytes", chat.MaxTimeZoneBytes)
	}
	return from, to, nil
}

// maxBlockDuration is the longest block a frame may ask for; longer ones
// are made without an expiry.
const maxBlockDuration = 100 * 365 * 24 * time.Hour

// checkBlock applies the rules of block, unblock and blocks frames that
// need no server state.
func (f ClientFrame) checkBlock() error {
	switch f.Type {
	case FrameBlock:
		if f.VisitorID == uuid.Nil && f.CustomerID == "" && f.Email == "" && f.Network == "" {
			return Errorf(CodeInvalid, "block needs visitor_id, customer_id, email or network")
		}
		if f.Network != "" {
			if _, err := netip.ParsePrefix(f.Network); err != nil {
				return Errorf(CodeInvalid, "network %.64q is not an IP network such as 192.0.2.0/24", f.Network)
			}
		}
		if f.DurationMS < 0 || time.Duration(f.DurationMS) > maxBlockDuration/time.Millisecond {
			return Errorf(CodeInvalid, "duration_ms must be 0 (until lifted) or a positive duration up to 100 years")
		}
		if len(f.CustomerID) > chat.MaxIDBytes || len(f.Email) > chat.MaxEmailBytes || len(f.Reason) > chat.MaxReasonBytes {
			return Errorf(CodeInvalid, "customer_id, email or reason is over its limit")
		}
	case FrameUnblock:
		if f.BlockID == uuid.Nil {
			return Errorf(CodeInvalid, "unblock needs block_id")
		}
	}
	return nil
}

// Limits of action frames.
const (
	MaxActionNameBytes  = 64   // an action's name
	MaxActionInputBytes = 1024 // what the agent types for an action
)

// Action describes one of the shop's actions to the agents' console,
// which shows it as a button on a conversation. The welcome lists them.
type Action struct {
	Name  string `json:"name"`            // what an action frame names
	Label string `json:"label"`           // the button's text
	Input string `json:"input,omitempty"` // when set, the console asks for a value with this prompt
}
