package wire

// Availability tells a visitor's widget, in the welcome, whether the chat
// is answered live right now, so that it can say so before the visitor
// writes.
type Availability struct {
	// Online is true when the shop is open and an agent is online.
	Online bool `json:"online"`
	// ReplyMS is how fast agents typically answer a chat, in milliseconds;
	// zero when the shop did not say.
	ReplyMS int64 `json:"reply_ms,omitempty"`
	// WhenOffline is what the widget offers while Online is false: "form"
	// (the chat, whose messages become an offline request answered by
	// email), "contact" (the shop's contact options instead of the chat) or
	// "hide" (no launcher, unless the visitor has a conversation going).
	WhenOffline string `json:"when_offline"`
}

// FrameAvailability tells a connected visitor that the chat's availability
// changed since the welcome: the frame's availability is the new one.
const FrameAvailability = "availability"

// The values of Availability.WhenOffline.
const (
	WhenOfflineForm    = "form"
	WhenOfflineContact = "contact"
	WhenOfflineHide    = "hide"
)

// Contact is how else a visitor can reach the shop, shown in the widget's
// contact panel. Empty fields are not shown.
type Contact struct {
	Phone string `json:"phone,omitempty"`
	// PhoneHours is when the phone is answered: the spans of each day of
	// the week, Sunday first, as "09:00-17:00", on the clock of Zone.
	PhoneHours *Week  `json:"phone_hours,omitempty"`
	Email      string `json:"email,omitempty"`
	GaduGadu   string `json:"gadu_gadu,omitempty"` // a Gadu-Gadu number
	Skype      string `json:"skype,omitempty"`     // a Skype name
	WhatsApp   string `json:"whatsapp,omitempty"`  // a phone number
	Viber      string `json:"viber,omitempty"`     // a phone number
	Telegram   string `json:"telegram,omitempty"`  // a Telegram username
}

// Week is a weekly schedule: Days[0] is Sunday's spans, Days[6]
// Saturday's, each "HH:MM-HH:MM" on the wall clock of the IANA time zone
// Zone. A day without spans is closed.
type Week struct {
	Zone string      `json:"zone"`
	Days [7][]string `json:"days"`
}
