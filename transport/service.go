package transport

import (
	"context"
	"strings"
	"time"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// prechat saves what a visitor's pre-chat form gave with a start frame:
// their name and email address. A customer the shop identified keeps the
// name and address the shop gave; the form only fills what is missing.
func (ss *session) prechat(ctx context.Context, f wire.ClientFrame) error {
	name, email := strings.TrimSpace(f.Name), strings.TrimSpace(f.Email)
	if name == "" && email == "" {
		return nil
	}
	if err := checkEmail(email); err != nil {
		return err
	}
	d := ss.srv.desk
	v, err := d.Visitor(ctx, ss.visitor.ID)
	if err != nil {
		return err
	}
	identified := v.CustomerID != ""
	if name != "" && (!identified || v.Name == "") {
		v.Name = name
	}
	if email != "" && (!identified || v.Email == "") {
		v.Email = email
	}
	if v, err = d.SaveVisitor(ctx, v); err != nil {
		return err
	}
	// The connection's messages carry the new name, and the agents' list
	// shows it.
	ss.named.Store(&v.Name)
	ss.srv.live.rename(v)
	return nil
}

// checkEmail checks an address a visitor gave, by the Desk's rule, so that
// a refusal names the field. No address is no error.
func checkEmail(email string) error {
	if email = strings.TrimSpace(email); email == "" {
		return nil
	}
	if err := chat.CheckEmail(email); err != nil {
		return fieldErr("email", err)
	}
	return nil
}

// stats answers an agent's stats frame with the service report of the
// period it names, of the conversations agentID had last when it is set.
func (s *Server) stats(ctx context.Context, f wire.ClientFrame, agentID string) (outItem, error) {
	from, to, err := f.Period()
	if err != nil {
		return outItem{}, err
	}
	var loc *time.Location
	if f.TimeZone != "" {
		if loc, err = time.LoadLocation(f.TimeZone); err != nil {
			return outItem{}, wire.Errorf(wire.CodeInvalid, "tz %.64q is not a known time zone", f.TimeZone)
		}
	}
	r, err := s.desk.Report(ctx, chat.ReportQuery{From: from, To: to, Location: loc, Tag: f.Tag, AgentID: agentID})
	if err != nil {
		return outItem{}, searchErr(err)
	}
	return outItem{frame: &wire.ServerFrame{Type: wire.FrameStats, ID: f.ID, Stats: &r}}, nil
}
