package advisor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/parleychat/parley/chat"
)

// ErrNoAnswer is what a Bot returns for a question it cannot answer: the
// Advisor hands the conversation over as chat.HandoffUnknown.
var ErrNoAnswer = errors.New("advisor: no answer")

// Bot answers a visitor's question. FAQ is one; a shop may write its own
// (over its order system, say). It must be safe for concurrent use.
type Bot interface {
	// Answer replies to q, or returns ErrNoAnswer when it has no answer.
	// Any other error hands the conversation over as chat.HandoffFailed.
	Answer(ctx context.Context, q Question) (Reply, error)
}

// BotFunc turns a function into a Bot.
type BotFunc func(ctx context.Context, q Question) (Reply, error)

// Answer calls f.
func (f BotFunc) Answer(ctx context.Context, q Question) (Reply, error) { return f(ctx, q) }

// Question is a visitor's message for a Bot to answer.
type Question struct {
	Text   string // the visitor's message
	Locale string // the visitor's language, a BCP 47 tag; may be empty
	// Turn is what the Desk gave the Advisor: the conversation, the
	// visitor and the history.
	Turn chat.AdvisorTurn
}

// Reply is a Bot's answer.
type Reply struct {
	Body         string   // the answer, plain text
	QuickReplies []string // follow-up questions to offer
}

// When says which conversations the advisor answers first.
type When int

// When values.
const (
	// Always has the advisor answer every new conversation first.
	Always When = iota
	// Unstaffed has it answer only conversations nobody could answer
	// live (outside opening hours, or no agent online), which would
	// otherwise be offline requests.
	Unstaffed
)

// DefaultMaxTurns is Config.MaxTurns's default.
const DefaultMaxTurns = 4

// Config configures New.
type Config struct {
	// Bot answers the questions. Required.
	Bot Bot
	// Name is the advisor's name shown with its messages. Empty means
	// "Advisor".
	Name string
	// When says which new conversations the advisor takes. The zero value
	// is Always.
	When When
	// MaxTurns is how many visitor messages of a conversation the advisor
	// answers; the next goes to a person (chat.HandoffTurns). Zero means
	// DefaultMaxTurns; negative is invalid.
	MaxTurns int
}

// Advisor is the virtual advisor: give it to chat.Config.Advisor. It
// answers with its Bot and hands the conversation over to a person when
// the visitor asks for one (the Desk sees to that), when the Bot has no
// answer, after MaxTurns messages, and when the visitor repeats
// themselves: a message that says what an earlier one said (ignoring
// case, punctuation and spacing), or one whose answer the advisor has
// already given in the conversation, since that answer did not help.
//
// It keeps no state of its own: the turns and the earlier messages are
// read from the conversation's transcript in the Store, which every
// instance of the shop shares.
type Advisor struct {
	bot      Bot
	name     string
	when     When
	maxTurns int
}

var _ chat.Advisor = (*Advisor)(nil)

// New returns an Advisor for cfg, or an error wrapping chat.ErrInvalid
// that names the field.
func New(cfg Config) (*Advisor, error) {
	switch {
	case cfg.Bot == nil:
		return nil, fmt.Errorf("%w: advisor: Config.Bot is required", chat.ErrInvalid)
	case cfg.MaxTurns < 0:
		return nil, fmt.Errorf("%w: advisor: Config.MaxTurns is negative", chat.ErrInvalid)
	case cfg.When != Always && cfg.When != Unstaffed:
		return nil, fmt.Errorf("%w: advisor: Config.When %d is unknown", chat.ErrInvalid, cfg.When)
	}
	a := &Advisor{bot: cfg.Bot, name: cfg.Name, when: cfg.When, maxTurns: cfg.MaxTurns}
	if a.maxTurns == 0 {
		a.maxTurns = DefaultMaxTurns
	}
	return a, nil
}

// Takes implements chat.Advisor after Config.When.
func (a *Advisor) Takes(_ context.Context, _ chat.ConversationInfo, staffed bool) bool {
	return a.when == Always || !staffed
}

// Answer implements chat.Advisor.
func (a *Advisor) Answer(ctx context.Context, t chat.AdvisorTurn) (chat.AdvisorAnswer, error) {
	turns := 1
	said := normalize(t.Message.Body)
	given := map[string]bool{}
	for _, m := range t.History {
		switch m.Author.Kind {
		case chat.AuthorVisitor:
			turns++
			if said != "" && normalize(m.Body) == said {
				return chat.AdvisorAnswer{Handoff: chat.HandoffRepeated}, nil
			}
		case chat.AuthorBot:
			given[m.Body] = true
		}
	}
	if turns > a.maxTurns {
		return chat.AdvisorAnswer{Handoff: chat.HandoffTurns}, nil
	}
	r, err := a.bot.Answer(ctx, Question{Text: t.Message.Body, Locale: t.Visitor.Locale, Turn: t})
	switch {
	case errors.Is(err, ErrNoAnswer):
		return chat.AdvisorAnswer{Handoff: chat.HandoffUnknown}, nil
	case err != nil:
		return chat.AdvisorAnswer{}, err
	case strings.TrimSpace(r.Body) == "":
		return chat.AdvisorAnswer{Handoff: chat.HandoffUnknown}, nil
	case given[r.Body]:
		return chat.AdvisorAnswer{Handoff: chat.HandoffRepeated}, nil
	}
	return chat.AdvisorAnswer{Name: a.name, Body: r.Body, QuickReplies: r.QuickReplies}, nil
}

// normalize reduces a message to its lowercased letters and digits, words
// separated by one space, to compare what two messages say.
func normalize(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ")
}
