package transport

import (
	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// Roles. When the shop names supervisors (Config.Supervisor is set), the
// other agents are held to their own work: they may not change a
// conversation another agent holds (send, note, close, take over or
// transfer it), their statistics cover their own conversations, and they
// read only the notes they wrote and those of the conversations they
// hold. Supervisors, and every agent of a shop that names none, may do
// all of it.

// Role names sent in an agent's welcome.
const (
	roleSupervisor = "supervisor"
	roleAgent      = "agent"
)

// role is the agent's role for the welcome, or "" when the shop names no
// supervisors.
func (ss *session) role() string {
	switch {
	case ss.agent == nil || ss.srv.cfg.Supervisor == nil:
		return ""
	case ss.supervisor:
		return roleSupervisor
	}
	return roleAgent
}

// restricted reports whether the session's agent is held to their own
// conversations.
func (ss *session) restricted() bool { return ss.role() == roleAgent }

// checkRole refuses a restricted agent's change to a conversation that
// another agent holds: assigned to them and not closed.
func (ss *session) checkRole(f wire.ClientFrame, info chat.ConversationInfo) error {
	if !ss.restricted() || info.AgentID == "" || info.AgentID == ss.agent.ID || info.Status == chat.StatusClosed {
		return nil
	}
	switch f.Type {
	case wire.FrameSend, wire.FrameNote, wire.FrameClose, wire.FrameAssign, wire.FrameTransfer, wire.FrameTag, wire.FrameUntag:
		return wire.Errorf(wire.CodeForbidden, "%s: the conversation is another agent's; only a supervisor may change it", f.Type)
	}
	return nil
}

// readsNote reports whether the session's agent may read note m: a
// restricted agent reads their own notes and those of the conversations
// they hold now.
func (ss *session) readsNote(m *chat.Message) bool {
	if !ss.restricted() || m.Author.ID == ss.agent.ID {
		return true
	}
	_, info, err := ss.srv.desk.Lookup(ss.ctx, m.ConversationID)
	return err == nil && info.AgentID == ss.agent.ID
}

// statsAgent is whose conversations the session's stats cover: the
// agent's own for a restricted agent, else everyone's ("").
func (ss *session) statsAgent() string {
	if ss.restricted() {
		return ss.agent.ID
	}
	return ""
}
