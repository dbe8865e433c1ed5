package transport

import (
	"context"

	"github.com/parleychat/parley/wire"
)

// privacyFrame carries out an agent's export or erase frame, if the shop
// lets the agent.
func (ss *session) privacyFrame(ctx context.Context, f wire.ClientFrame) (outItem, error) {
	if ss.srv.cfg.Privacy == nil || !ss.srv.cfg.Privacy(*ss.agent) {
		return outItem{}, wire.Errorf(wire.CodeForbidden, "the shop does not let you %s visitors' data", f.Type)
	}
	d := ss.srv.desk
	if f.Type == wire.FrameErase {
		ss.srv.log.InfoContext(ctx, "transport: an agent erases a visitor", "agent", ss.agent.ID, "visitor", f.VisitorID)
		return outItem{frame: &wire.ServerFrame{Type: wire.FrameOK, ID: f.ID}}, d.EraseVisitor(ctx, f.VisitorID)
	}
	export, err := d.ExportVisitor(ctx, f.VisitorID)
	if err != nil {
		return outItem{}, err
	}
	ss.srv.log.InfoContext(ctx, "transport: an agent exported a visitor's data", "agent", ss.agent.ID, "visitor", f.VisitorID)
	return outItem{frame: &wire.ServerFrame{Type: wire.FrameExport, ID: f.ID, Export: &export}}, nil
}
