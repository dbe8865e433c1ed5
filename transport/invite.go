package transport

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// Limits of Config.Invitations.
const (
	MaxInvitationRules    = 100
	MaxInvitationNameByte = 64
)

// InvitationRule makes the server invite visitors to chat on its own: a
// visitor who meets every condition set on the rule is sent an invite
// frame with Message. Zero conditions always hold. Rules are tried in
// order; a visitor has at most one pending invitation, is not invited
// while chatting, and is invited by each rule at most once per visit,
// whether they accept, dismiss or ignore it.
//
// Rules are evaluated when the visitor opens a page and every
// Config.InvitationInterval, against the visitor's [wire.VisitorState].
type InvitationRule struct {
	// Name identifies the rule in the agents' visitor list. Required and
	// unique, at most MaxInvitationNameByte bytes.
	Name string
	// Message is the invitation's text. When the visitor accepts, it
	// becomes the first message of the conversation, written by a bot
	// named From. Required, at most chat.MaxBodyBytes.
	Message string
	// From is the name the invitation and its message are shown under,
	// for example "Olga from the bike shop". Empty shows none.
	From string
	// Department is the department of the conversation an acceptance
	// starts; empty means the default.
	Department string
	// Path is a path.Match pattern the path of the visitor's current page
	// must match, for example "/p/*". Empty matches every page.
	Path string
	// MinTimeOnPage is how long the visitor must have been on the current
	// page.
	MinTimeOnPage time.Duration
	// MinTimeOnSite is how long the visit must have lasted.
	MinTimeOnSite time.Duration
	// MinIdle is how long the visitor must have done nothing: no page, no
	// frame other than a heartbeat.
	MinIdle time.Duration
	// ReturningOnly restricts the rule to returning visitors.
	ReturningOnly bool
	// MinCartValue is the least the visitor's cart must be worth, in its
	// currency, as chat.Config.Carts tells (wire.VisitorState.Shop). A
	// visitor without a cart, or with one in another currency, does not
	// match. Zero means any cart or none.
	MinCartValue chat.Money
	// When, if set, is a last condition of the shop's own, for example on
	// the cart in the visitor's ContextValue. It is called without locks
	// held and must be quick and safe for concurrent use.
	When func(wire.VisitorState) bool
}

// checkInvitations validates Config.Invitations.
func checkInvitations(rules []InvitationRule) error {
	if len(rules) > MaxInvitationRules {
		return fmt.Errorf("Config.Invitations has %d rules, over the limit of %d", len(rules), MaxInvitationRules)
	}
	names := make(map[string]bool, len(rules))
	for i, r := range rules {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("Config.Invitations[%d]: "+format, append([]any{i}, args...)...)
		}
		switch {
		case r.Name == "" || len(r.Name) > MaxInvitationNameByte || !utf8.ValidString(r.Name):
			return bad("Name must be 1 to %d bytes of UTF-8", MaxInvitationNameByte)
		case names[r.Name]:
			return bad("Name %q is used twice", r.Name)
		case strings.TrimSpace(r.Message) == "":
			return bad("Message is empty")
		case r.MinTimeOnPage < 0 || r.MinTimeOnSite < 0 || r.MinIdle < 0:
			return bad("a negative duration")
		case strings.HasPrefix(r.Name, triggerPrefix):
			return bad("Name %q begins with %q, which names the shop's triggers", r.Name, triggerPrefix)
		}
		if err := r.MinCartValue.Validate(); err != nil {
			return bad("MinCartValue: %v", err)
		}
		names[r.Name] = true
		if _, err := path.Match(r.Path, ""); err != nil {
			return bad("Path %q: %v", r.Path, err)
		}
		// The rest must be valid as a stored message and conversation.
		m := chat.Message{ID: uuid.Max, ConversationID: uuid.Max, CreatedAt: time.Unix(0, 0),
			Author: chat.Author{Kind: chat.AuthorBot, Name: r.From}, Body: r.Message}
		c := chat.ConversationInfo{ID: uuid.Max, VisitorID: uuid.Max, CreatedAt: time.Unix(0, 0),
			Status: chat.StatusQueued, Department: r.Department}
		if err := errors.Join(m.Validate(), c.Validate()); err != nil {
			return bad("%v", err)
		}
	}
	return nil
}

// matches reports whether the rule's conditions hold for st.
func (r *InvitationRule) matches(st wire.VisitorState) bool {
	if r.Path != "" || r.MinTimeOnPage > 0 {
		if st.Page == nil {
			return false
		}
		if max(st.At.Sub(st.Page.At), 0) < r.MinTimeOnPage {
			return false
		}
		if r.Path != "" {
			u, err := url.Parse(st.Page.URL)
			if err != nil {
				return false
			}
			if ok, _ := path.Match(r.Path, u.Path); !ok {
				return false
			}
		}
	}
	// The times may come from another instance, whose clock may be a
	// little ahead: a negative duration counts as none.
	if max(st.At.Sub(st.OnlineSince), 0) < r.MinTimeOnSite || max(st.At.Sub(st.LastActiveAt), 0) < r.MinIdle {
		return false
	}
	if r.ReturningOnly && !st.Returning {
		return false
	}
	if !r.MinCartValue.IsZero() && (st.Shop == nil || st.Shop.Cart == nil || !st.Shop.Cart.Value.AtLeast(r.MinCartValue)) {
		return false
	}
	return r.When == nil || r.When(st)
}

// rule returns the configured rule with the given name.
func (r *liveRegistry) rule(name string) *InvitationRule {
	for i := range r.srv.cfg.Invitations {
		if rule := &r.srv.cfg.Invitations[i]; rule.Name == name {
			return rule
		}
	}
	return nil
}

// invitable reports whether a visitor connected to this Server may be
// invited now: not chatting, no invitation pending, and a rule left that
// has not fired this visit. It returns the rules that fired.
func (lv *liveVisitor) invitable(rules int) (map[string]bool, bool) {
	if !lv.held || lv.loading || len(lv.conns) == 0 || lv.visitID == uuid.Nil || lv.state.ConversationID != uuid.Nil {
		return nil, false
	}
	fired := make(map[string]bool, len(lv.state.Invitations))
	for _, inv := range lv.state.Invitations {
		if inv.Status == chat.InvitationPending {
			return nil, false
		}
		if !strings.HasPrefix(inv.Rule, triggerPrefix) { // the shop's triggers are no rules
			fired[inv.Rule] = true
		}
	}
	return fired, len(fired) < rules
}

// evaluate tries the invitation rules on the given visitors, or on every
// visitor connected to this Server when ids is nil.
func (r *liveRegistry) evaluate(ids []uuid.UUID) {
	rules := r.srv.cfg.Invitations
	if len(rules) == 0 {
		return
	}
	type candidate struct {
		lv    *liveVisitor
		st    wire.VisitorState
		fired map[string]bool
	}
	now := r.srv.cfg.Now()
	var cands []candidate
	r.mu.Lock()
	consider := func(lv *liveVisitor) {
		if lv == nil {
			return
		}
		if fired, ok := lv.invitable(len(rules)); ok {
			cands = append(cands, candidate{lv: lv, st: lv.snapshot(now), fired: fired})
		}
	}
	if ids == nil {
		for _, lv := range r.visitors {
			consider(lv)
		}
	} else {
		for _, id := range ids {
			consider(r.visitors[id])
		}
	}
	r.mu.Unlock()
	// The shop's When runs without the lock held.
	for _, c := range cands {
		for i := range rules {
			if rule := &rules[i]; !c.fired[rule.Name] && rule.matches(c.st) {
				r.invite(c.lv, rule, now)
				break
			}
		}
	}
}

// invite sends the visitor an invitation from rule, unless the visitor
// changed meanwhile so that they may not be invited. The store decides:
// of the instances that try a rule on one visit at once, one invites.
func (r *liveRegistry) invite(lv *liveVisitor, rule *InvitationRule, now time.Time) {
	r.mu.Lock()
	id := lv.state.Visitor.ID
	fired, ok := lv.invitable(len(r.srv.cfg.Invitations))
	visitID, current := lv.visitID, r.visitors[id] == lv
	r.mu.Unlock()
	if !current || !ok || fired[rule.Name] {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.srv.cfg.WriteTimeout)
	defer cancel()
	inv := chat.Invitation{ID: chat.NewID(), Rule: rule.Name, Body: rule.Message, Status: chat.InvitationPending, At: chat.Timestamp(now)}
	store := r.srv.desk.Store()
	if err := store.AddInvitation(ctx, visitID, inv); err != nil {
		if !errors.Is(err, chat.ErrConflict) && !errors.Is(err, chat.ErrNotFound) {
			r.srv.log.Warn("transport: storing an invitation", "visitor", id, "rule", rule.Name, "err", err)
			return
		}
		// Another instance invited first: take its invitations, so that
		// the rule is not tried again.
		stored, err := store.Visit(ctx, id)
		if err != nil {
			return
		}
		r.mu.Lock()
		if r.visitors[id] == lv && mergeInvitations(&lv.state, stored.Invitations) {
			r.showInvitations(lv)
			r.broadcast(lv)
		}
		r.mu.Unlock()
		return
	}
	r.added(ctx, id, inv)
}

// inviteFrame is the frame that shows inv to the visitor.
func (r *liveRegistry) inviteFrame(inv chat.Invitation) *wire.ServerFrame {
	f := &wire.ServerFrame{Type: wire.FrameInvite, InvitationID: inv.ID, Body: inv.Body}
	if rule := r.rule(inv.Rule); rule != nil && rule.From != "" {
		f.Author = &chat.Author{Kind: chat.AuthorBot, Name: rule.From}
	}
	return f
}

// reply carries out a visitor's answer to an invitation, on whichever
// instance made it. Accepting starts a conversation whose first message
// is the invitation; accepting again returns the same conversation.
func (r *liveRegistry) reply(ctx context.Context, ss *session, f wire.ClientFrame) (outItem, error) {
	id := ss.visitor.ID
	store := r.srv.desk.Store()
	visit, err := store.Visit(ctx, id)
	if err != nil && !errors.Is(err, chat.ErrNotFound) {
		return outItem{}, err
	}
	if !slices.ContainsFunc(visit.Invitations, func(inv chat.Invitation) bool { return inv.ID == f.InvitationID }) {
		return outItem{}, wire.Errorf(wire.CodeNotFound, "no such invitation")
	}
	if !f.Accept {
		inv, err := store.UpdateInvitation(ctx, f.InvitationID, chat.InvitationDismissed, uuid.Nil)
		if err != nil && !errors.Is(err, chat.ErrConflict) { // an accepted one stays accepted
			return outItem{}, err
		}
		r.answered(ctx, id, inv)
		return outItem{frame: &wire.ServerFrame{Type: wire.FrameOK, ID: f.ID, InvitationID: f.InvitationID}}, nil
	}
	// The conversation's id is stored with the acceptance, so that a
	// retried accept, on any instance, finds the same conversation.
	inv, err := store.UpdateInvitation(ctx, f.InvitationID, chat.InvitationAccepted, chat.NewID())
	if errors.Is(err, chat.ErrConflict) {
		return outItem{}, wire.Errorf(wire.CodeInvalid, "the invitation was dismissed")
	}
	if err != nil {
		return outItem{}, err
	}
	conv, err := r.open(ctx, id, inv)
	if err != nil {
		return outItem{}, err
	}
	info, err := conv.Info(ctx)
	if err != nil {
		return outItem{}, err
	}
	r.answered(ctx, id, inv)
	return outItem{frame: &wire.ServerFrame{Type: wire.FrameStarted, ID: f.ID, ConversationID: info.ID, Conversation: &info,
		InvitationID: inv.ID}, track: info.ID}, nil
}

// open starts the conversation of an accepted invitation and posts the
// invitation as its first message. Both steps are idempotent.
func (r *liveRegistry) open(ctx context.Context, visitor uuid.UUID, inv chat.Invitation) (chat.Conversation, error) {
	// The shop offered a person: the advisor, if any, stays out of it.
	req := chat.StartRequest{ID: inv.ConversationID, VisitorID: visitor, NoAdvisor: true}
	author := chat.Author{Kind: chat.AuthorBot}
	if rule := r.rule(inv.Rule); rule != nil {
		req.Department, author.Name = rule.Department, rule.From
	}
	conv, err := r.srv.desk.Start(ctx, req)
	if err != nil {
		return nil, err
	}
	_, err = conv.Post(ctx, chat.Message{Author: author, Body: inv.Body, IdempotencyKey: "invitation:" + inv.ID.String()})
	if err != nil {
		return conv, err
	}
	if reason, ok := strings.CutPrefix(inv.Rule, triggerPrefix); ok {
		// Agents see why the chat started; the visitor never does.
		_, err = conv.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorSystem}, Internal: true,
			Body: "Started by the shop after: " + reason, IdempotencyKey: "trigger:" + inv.ID.String()})
	}
	return conv, err
}
