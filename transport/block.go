package transport

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// clientIP is the address a request comes from, after Config.ClientIP.
func (s *Server) clientIP(r *http.Request) netip.Addr {
	if s.cfg.ClientIP != nil {
		return s.cfg.ClientIP(r).Unmap()
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// admit refuses a visitor's hello, before anything is stored, when a block
// or the shop's CheckVisitor says no.
func (s *Server) admit(ctx context.Context, r *http.Request, v chat.Visitor, addr netip.Addr) error {
	if err := s.desk.Blocked(ctx, v, addr); err != nil {
		return err
	}
	if s.cfg.CheckVisitor == nil {
		return nil
	}
	if err := s.cfg.CheckVisitor(r, v); err != nil {
		s.log.InfoContext(ctx, "transport: CheckVisitor refused a visitor", "visitor", v.ID, "err", err)
		return fmt.Errorf("%w: by Config.CheckVisitor", chat.ErrBlocked)
	}
	return nil
}

// checkBlocked refuses every frame of a visitor who was blocked after
// connecting, and a start whose pre-chat email is blocked. It answers
// from the Desk's memory, not the store.
func (ss *session) checkBlocked(ctx context.Context, f wire.ClientFrame) error {
	d := ss.srv.desk
	v := ss.visitor
	if err := d.Blocked(ctx, v, ss.addr); err != nil {
		return err
	}
	if email := strings.TrimSpace(f.Email); f.Type == wire.FrameStart && email != "" && !strings.EqualFold(email, v.Email) {
		v.Email = email
		return d.Blocked(ctx, v, ss.addr)
	}
	return nil
}

// tellBlocked sends the blocked error, unasked, to the visitors of this
// instance whom a new block matches, so that the widget says so at once.
// Their frames are refused from then on whether or not this arrives.
func (s *Server) tellBlocked(b chat.Block) {
	s.mu.Lock()
	var matched []*session
	for ss := range s.sessions {
		if ss.agent == nil && b.Matches(ss.visitor, ss.addr) {
			matched = append(matched, ss)
		}
	}
	s.mu.Unlock()
	for _, ss := range matched {
		ss.enqueue(outItem{frame: errorFrame("", chat.ErrBlocked)})
	}
}

// blockFrame carries out an agent's block, unblock or blocks frame.
func (ss *session) blockFrame(ctx context.Context, f wire.ClientFrame) (outItem, error) {
	d := ss.srv.desk
	switch f.Type {
	case wire.FrameUnblock:
		return outItem{frame: &wire.ServerFrame{Type: wire.FrameOK, ID: f.ID}}, d.Unblock(ctx, f.BlockID)
	case wire.FrameBlocks:
		bs, err := d.Blocks(ctx)
		if err != nil {
			return outItem{}, err
		}
		return outItem{frame: &wire.ServerFrame{Type: wire.FrameBlocks, ID: f.ID, Blocks: bs}}, nil
	}
	b := chat.Block{VisitorID: f.VisitorID, CustomerID: f.CustomerID, Email: strings.TrimSpace(f.Email), Reason: f.Reason, AgentID: ss.agent.ID}
	if f.Network != "" {
		b.Network, _ = netip.ParsePrefix(f.Network) // checked by checkBlock
	}
	if f.VisitorID != uuid.Nil {
		// A customer the shop identified is blocked by their customer id
		// and email too, so that a new browser does not get them round
		// it. An anonymous visitor's email is whatever they typed, maybe
		// someone else's, and is left alone.
		v, err := d.Visitor(ctx, f.VisitorID)
		switch {
		case err == nil && v.CustomerID != "":
			b.CustomerID = cmp.Or(b.CustomerID, v.CustomerID)
			b.Email = cmp.Or(b.Email, v.Email)
		case err != nil && !errors.Is(err, chat.ErrNotFound):
			return outItem{}, err
		}
	}
	b.CreatedAt = ss.srv.cfg.Now()
	if f.DurationMS > 0 {
		b.ExpiresAt = b.CreatedAt.Add(time.Duration(f.DurationMS) * time.Millisecond)
	}
	b, err := d.Block(ctx, b)
	if err != nil {
		return outItem{}, err
	}
	return outItem{frame: &wire.ServerFrame{Type: wire.FrameBlock, ID: f.ID, Block: &b}}, nil
}
