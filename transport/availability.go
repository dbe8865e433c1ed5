package transport

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/hours"
	"github.com/parleychat/parley/wire"
)

// What the widget offers while nobody answers the chat (Config.WhenOffline).
const (
	// WhenOfflineForm keeps the chat: what the visitor writes becomes an
	// offline request, answered by email. The default.
	WhenOfflineForm = wire.WhenOfflineForm
	// WhenOfflineContact shows the contact panel (Config.Contact) instead
	// of the chat.
	WhenOfflineContact = wire.WhenOfflineContact
	// WhenOfflineHide hides the launcher. A visitor with a conversation
	// going still sees it.
	WhenOfflineHide = wire.WhenOfflineHide
)

// availabilityTTL is how long a Server reuses what it found out about the
// agents before it reads them again: visitors connect on every page they
// open, and the answer changes rarely.
const availabilityTTL = time.Second

// Contact is how else visitors can reach the shop. The widget lists the
// options set here in its contact panel, which a visitor can open at any
// time; a page's own data- attributes for the same options win over these.
type Contact struct {
	// Phone is a phone number as it should show, such as "+48 22 123 45
	// 67"; the link dials its digits.
	Phone string
	// PhoneHours is when the phone is answered, usually the schedule given
	// to chat.Config.Hours. The widget shows it in the visitor's language,
	// on the shop's clock. Nil shows no hours.
	PhoneHours *hours.Schedule
	// Email is an address for email.
	Email string
	// GaduGadu is a Gadu-Gadu number.
	GaduGadu string
	// Skype is a Skype name.
	Skype string
	// WhatsApp is a phone number on WhatsApp.
	WhatsApp string
	// Viber is a phone number on Viber.
	Viber string
	// Telegram is a Telegram username, with or without the @.
	Telegram string
}

// wire returns c as the welcome carries it, or nil when no option is set.
func (c Contact) wire() (*wire.Contact, error) {
	w := &wire.Contact{Phone: c.Phone, Email: c.Email, GaduGadu: c.GaduGadu, Skype: c.Skype,
		WhatsApp: c.WhatsApp, Viber: c.Viber, Telegram: c.Telegram}
	if c.Email != "" {
		if err := chat.CheckEmail(c.Email); err != nil {
			return nil, fmt.Errorf("Config.Contact.Email: %w", err)
		}
	}
	if c.PhoneHours != nil {
		if c.Phone == "" {
			return nil, fmt.Errorf("Config.Contact.PhoneHours is set without a Phone")
		}
		if err := c.PhoneHours.Validate(); err != nil {
			return nil, fmt.Errorf("Config.Contact.PhoneHours: %w", err)
		}
		w.PhoneHours = week(*c.PhoneHours)
	}
	if *w == (wire.Contact{}) {
		return nil, nil
	}
	return w, nil
}

// week returns the weekly spans of s, each day's in order.
func week(s hours.Schedule) *wire.Week {
	w := &wire.Week{Zone: s.Location.String()}
	for day := range w.Days {
		spans := slices.SortedFunc(slices.Values(s.Weekly[time.Weekday(day)]), func(a, b hours.Span) int { return int(a.Open - b.Open) })
		w.Days[day] = []string{}
		for _, sp := range spans {
			w.Days[day] = append(w.Days[day], sp.String())
		}
	}
	return w
}

// availability remembers whether anyone answers the chat, as last read,
// and as last pushed to visitors.
type availability struct {
	mu     sync.Mutex
	at     time.Time
	online bool
	pushed *bool // nil before the first recheck
}

// availability returns what a visitor's welcome says about the chat being
// answered, or nil when that could not be found out: the widget then
// shows no availability.
func (s *Server) availability(ctx context.Context) *wire.Availability {
	a := &s.avail
	a.mu.Lock()
	defer a.mu.Unlock()
	now := s.cfg.Now()
	if a.at.IsZero() || now.Sub(a.at) >= availabilityTTL || now.Before(a.at) {
		online, err := s.desk.Staffed(ctx, "")
		if err != nil {
			s.log.ErrorContext(ctx, "transport: finding out whether agents are online", "err", err)
			return nil
		}
		a.at, a.online = now, online
	}
	return s.availabilityOf(a.online)
}

func (s *Server) availabilityOf(online bool) *wire.Availability {
	return &wire.Availability{Online: online, ReplyMS: s.cfg.TypicalReply.Milliseconds(), WhenOffline: s.cfg.WhenOffline}
}

// recheckAvailability finds out again whether anyone answers the chat and,
// when that changed since the last recheck, tells every visitor connected
// to this Server with an availability frame. The live list's watcher
// calls it when an agent's presence changes and on its lease ticker, which
// also catches the shop opening and closing.
func (s *Server) recheckAvailability(ctx context.Context) {
	online, err := s.desk.Staffed(ctx, "")
	if err != nil {
		s.log.WarnContext(ctx, "transport: finding out whether agents are online", "err", err)
		return
	}
	a := &s.avail
	a.mu.Lock()
	changed := a.pushed == nil || *a.pushed != online
	a.at, a.online, a.pushed = s.cfg.Now(), online, &online
	a.mu.Unlock()
	if !changed {
		return
	}
	f := &wire.ServerFrame{Type: wire.FrameAvailability, Availability: s.availabilityOf(online)}
	s.mu.Lock()
	var visitors []*session
	for ss := range s.sessions {
		if ss.agent == nil {
			visitors = append(visitors, ss)
		}
	}
	s.mu.Unlock()
	for _, ss := range visitors {
		ss.enqueue(outItem{frame: f})
	}
}
