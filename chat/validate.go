package chat

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Limits on stored text, in bytes of UTF-8, and on counts. Input over a
// limit is rejected with ErrInvalid naming the field; nothing is truncated
// silently. These constants are the only definition of each limit, which
// the transport checks too; docs/protocol.md lists them.
const (
	MaxBodyBytes        = 8 << 10 // a message body: 8 KiB
	MaxNameBytes        = 200     // visitor, agent and author names
	MaxEmailBytes       = 254     // email addresses, the longest SMTP allows
	MaxIDBytes          = 128     // agent ids, customer ids, departments, idempotency keys
	MaxURLBytes         = 2048
	MaxTitleBytes       = 512
	MaxAttachments      = 10
	MaxAgentDepartments = 50
	MaxLocaleBytes      = 35  // Visitor.Locale, a BCP 47 tag
	MaxTimeZoneBytes    = 64  // Visitor.TimeZone, an IANA zone name
	MaxReasonBytes      = 500 // Block.Reason
)

// Paging limits for MessageQuery and ConversationFilter.
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

// Timestamp returns t in UTC truncated to the microsecond, the precision
// every Store keeps. Times produced by the Desk are already in this form.
func Timestamp(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// ParseID parses a conversation, visitor or message id. A malformed or nil
// id is reported with ErrInvalid.
func ParseID(s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil || id == uuid.Nil {
		return uuid.Nil, invalid("malformed id %.64q", s)
	}
	return id, nil
}

// checkText rejects invalid UTF-8, NUL bytes (which PostgreSQL cannot store)
// and text over max bytes.
func checkText(field, s string, max int) error {
	if len(s) > max {
		return invalid("%s is %d bytes, over the limit of %d", field, len(s), max)
	}
	if !utf8.ValidString(s) {
		return invalid("%s is not valid UTF-8", field)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return invalid("%s contains a NUL byte", field)
	}
	return nil
}

func checkTime(field string, t time.Time) error {
	if t.IsZero() {
		return invalid("%s is not set", field)
	}
	if y := t.UTC().Year(); y < 1970 || y > 9999 {
		return invalid("%s %s is outside the years 1970 to 9999", field, t.UTC().Format(time.RFC3339))
	}
	return nil
}

func checkID(field string, id uuid.UUID) error {
	if id == uuid.Nil {
		return invalid("%s is missing", field)
	}
	return nil
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Validate reports with ErrInvalid why v cannot be stored.
func (v Visitor) Validate() error {
	return firstErr(
		checkID("visitor id", v.ID),
		checkTime("visitor created time", v.CreatedAt),
		checkText("visitor name", v.Name, MaxNameBytes),
		checkText("visitor email", v.Email, MaxEmailBytes),
		checkText("visitor locale", v.Locale, MaxLocaleBytes),
		checkText("visitor time zone", v.TimeZone, MaxTimeZoneBytes),
		checkText("customer id", v.CustomerID, MaxIDBytes),
	)
}

// Valid reports whether s is one of the defined agent statuses.
func (s AgentStatus) Valid() bool {
	return s == AgentOnline || s == AgentAway || s == AgentOffline
}

// Validate reports with ErrInvalid why a cannot be stored.
func (a Agent) Validate() error {
	if a.ID == "" {
		return invalid("agent id is missing")
	}
	if !a.Status.Valid() {
		return invalid("agent status %.32q is not online, away or offline", a.Status)
	}
	if a.Capacity < 0 {
		return invalid("agent capacity %d is negative", a.Capacity)
	}
	if len(a.Departments) > MaxAgentDepartments {
		return invalid("agent has %d departments, over the limit of %d", len(a.Departments), MaxAgentDepartments)
	}
	for _, d := range a.Departments {
		if err := checkText("agent department", d, MaxIDBytes); err != nil {
			return err
		}
	}
	return firstErr(
		checkText("agent id", a.ID, MaxIDBytes),
		checkText("agent name", a.Name, MaxNameBytes),
	)
}

// Valid reports whether s is one of the defined conversation statuses.
func (s Status) Valid() bool {
	return s == StatusQueued || s == StatusWaiting || s == StatusBot || s == StatusOpen || s == StatusClosed
}

// Validate reports with ErrInvalid why c cannot be stored.
func (c ConversationInfo) Validate() error {
	if !c.Status.Valid() {
		return invalid("conversation status %.32q is not queued, waiting, bot, open or closed", c.Status)
	}
	if !c.Handoff.Valid() {
		return invalid("handoff reason %.32q is not one of the defined reasons", c.Handoff)
	}
	if c.Rating < 0 || c.Rating > 5 {
		return invalid("rating %d is outside 1 to 5", c.Rating)
	}
	if c.LastSeq < 0 || c.Version < 0 {
		return invalid("negative LastSeq or Version")
	}
	return firstErr(
		checkID("conversation id", c.ID),
		checkID("conversation visitor id", c.VisitorID),
		checkTime("conversation created time", c.CreatedAt),
		checkText("department", c.Department, MaxIDBytes),
		checkText("agent id", c.AgentID, MaxIDBytes),
	)
}

// Valid reports whether k is one of the defined author kinds.
func (k AuthorKind) Valid() bool {
	return k == AuthorVisitor || k == AuthorAgent || k == AuthorBot || k == AuthorSystem
}

// Validate reports with ErrInvalid why a cannot be used as an author.
func (a Author) Validate() error {
	if !a.Kind.Valid() {
		return invalid("author kind %.32q is not visitor, agent, bot or system", a.Kind)
	}
	if (a.Kind == AuthorVisitor || a.Kind == AuthorAgent) && a.ID == "" {
		return invalid("%s author has no id", a.Kind)
	}
	return firstErr(
		checkText("author id", a.ID, MaxIDBytes),
		checkText("author name", a.Name, MaxNameBytes),
	)
}

// Validate reports with ErrInvalid why m cannot be appended. The store
// assigns Seq, so Validate does not look at it.
func (m Message) Validate() error {
	if strings.TrimSpace(m.Body) == "" && len(m.Attachments) == 0 && m.Card == nil {
		return invalid("message body is empty")
	}
	if m.Internal && m.Author.Kind == AuthorVisitor {
		return invalid("a visitor cannot write an internal note")
	}
	if m.Card != nil {
		if err := m.Card.Validate(); err != nil {
			return err
		}
	}
	if err := checkQuickReplies(m.QuickReplies); err != nil {
		return err
	}
	if (m.Card != nil || len(m.QuickReplies) > 0) && m.Author.Kind == AuthorVisitor {
		return invalid("a visitor cannot send a product card or quick replies")
	}
	if len(m.Attachments) > MaxAttachments {
		return invalid("message has %d attachments, over the limit of %d", len(m.Attachments), MaxAttachments)
	}
	for _, a := range m.Attachments {
		if err := firstErr(
			checkText("attachment name", a.Name, MaxTitleBytes),
			checkText("attachment content type", a.ContentType, MaxIDBytes),
			checkText("attachment url", a.URL, MaxURLBytes),
		); err != nil {
			return err
		}
		if a.Size < 0 || a.Width < 0 || a.Height < 0 {
			return invalid("attachment size or dimensions are negative")
		}
	}
	return firstErr(
		checkID("message id", m.ID),
		checkID("message conversation id", m.ConversationID),
		checkTime("message created time", m.CreatedAt),
		m.Author.Validate(),
		checkText("message body", m.Body, MaxBodyBytes),
		checkText("idempotency key", m.IdempotencyKey, MaxIDBytes),
	)
}

// Validate reports with ErrInvalid why p cannot be stored.
func (p PageView) Validate() error {
	if p.URL == "" {
		return invalid("page view url is missing")
	}
	return firstErr(
		checkID("page view id", p.ID),
		checkID("page view visitor id", p.VisitorID),
		checkTime("page view time", p.At),
		checkText("page url", p.URL, MaxURLBytes),
		checkText("page title", p.Title, MaxTitleBytes),
		checkText("page referrer", p.Referrer, MaxURLBytes),
	)
}
