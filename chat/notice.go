package chat

import (
	"context"
	"time"
)

// Notifier sends notices to visitors outside the chat (email today), for
// when the visitor is not there to read the answer in the widget. The
// notify package has one over SMTP.
//
// Notify returns an error wrapping ErrInvalid, and sends nothing, when the
// notice cannot be delivered as given (for example a visitor without an
// email address). Implementations are safe for concurrent use and respect
// the context's deadline and cancellation.
type Notifier interface {
	Notify(ctx context.Context, n Notice) error
}

// NoticeKind says what a Notice is about.
type NoticeKind string

// Notice kinds.
const (
	// NoticeOfflineReceived acknowledges a request the visitor left while no
	// agent was available; Notice.ExpectedReply says when to expect an answer.
	NoticeOfflineReceived NoticeKind = "offline_received"
	// NoticeReply carries an agent's reply to a visitor who has left the chat.
	NoticeReply NoticeKind = "reply"
	// NoticeTranscript sends the visitor the transcript of a conversation.
	NoticeTranscript NoticeKind = "transcript"
	// NoticeConfirmEmail asks the owner of an address to confirm it by
	// opening Notice.ConfirmURL. It carries nothing the visitor wrote.
	NoticeConfirmEmail NoticeKind = "confirm_email"
)

// Notice is one message to a visitor outside the chat. New fields may be
// added.
type Notice struct {
	// Kind says what the notice is about and so what it says.
	Kind NoticeKind
	// To is the recipient; its Email, Name and Locale are used.
	To Visitor
	// ShopName names the shop in the text; empty means the notifier's own
	// default.
	ShopName string
	// Conversation is the conversation the notice is about.
	Conversation ConversationInfo
	// Messages are the messages to include: the request for
	// NoticeOfflineReceived, the agent's reply for NoticeReply, the whole
	// transcript for NoticeTranscript. In ascending Seq order.
	Messages []Message
	// ExpectedReply is when the shop expects to answer, for
	// NoticeOfflineReceived; zero means not promised.
	ExpectedReply time.Time
	// Location is the time zone for times in the text: the Desk sets the
	// visitor's TimeZone, or its Config.Location when the visitor has
	// none. Nil means UTC.
	Location *time.Location
	// ConfirmURL is the confirmation link, for NoticeConfirmEmail.
	ConfirmURL string
}
