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
)

// maxBlockDuration is the longest block a frame may ask for; longer ones
// are made without an expiry.
const maxBlockDuration = 100 * 365 * 24 * time.Hour

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
func (ss *session) checkBlocked(ctx context.Context, f ClientFrame) error {
	d := ss.srv.desk
	v := ss.visitor
	if err := d.Blocked(ctx, v, ss.addr); err != nil {
		return err
	}
	if email := strings.TrimSpace(f.Email); f.Type == FrameStart && email != "" && !strings.EqualFold(email, v.Email) {
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

// checkBlock applies the rules of block, unblock and blocks frames that
// need no server state.
func (f ClientFrame) checkBlock() error {
	switch f.Type {
	case FrameBlock:
		if f.VisitorID == uuid.Nil && f.CustomerID == "" && f.Email == "" && f.Network == "" {
			return protoErr(CodeInvalid, "block needs visitor_id, customer_id, email or network")
		}
		if f.Network != "" {
			if _, err := netip.ParsePrefix(f.Network); err != nil {
				return protoErr(CodeInvalid, "network %.64q is not an IP network such as 192.0.2.0/24", f.Network)
			}
		}
		if f.DurationMS < 0 || time.Duration(f.DurationMS) > maxBlockDuration/time.Millisecond {
			return protoErr(CodeInvalid, "duration_ms must be 0 (until lifted) or a positive duration up to 100 years")
		}
		if len(f.CustomerID) > chat.MaxIDBytes || len(f.Email) > chat.MaxEmailBytes || len(f.Reason) > chat.MaxReasonBytes {
			return protoErr(CodeInvalid, "customer_id, email or reason is over its limit")
		}
	case FrameUnblock:
		if f.BlockID == uuid.Nil {
			return protoErr(CodeInvalid, "unblock needs block_id")
		}
	}
	return nil
}

// blockFrame carries out an agent's block, unblock or blocks frame.
func (ss *session) blockFrame(ctx context.Context, f ClientFrame) (outItem, error) {
	d := ss.srv.desk
	switch f.Type {
	case FrameUnblock:
		return outItem{frame: &ServerFrame{Type: FrameOK, ID: f.ID}}, d.Unblock(ctx, f.BlockID)
	case FrameBlocks:
		bs, err := d.Blocks(ctx)
		if err != nil {
			return outItem{}, err
		}
		return outItem{frame: &ServerFrame{Type: FrameBlocks, ID: f.ID, Blocks: bs}}, nil
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
	return outItem{frame: &ServerFrame{Type: FrameBlock, ID: f.ID, Block: &b}}, nil
}
