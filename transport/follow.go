package transport

import (
	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// followAgent decides what an agent's connection follows and returns the
// topic to subscribe to: a supervisor's follows the whole shop; any other
// agent's follows the agent's own conversations, and is sent summaries of
// the rest.
func (s *Server) followAgent(ss *session) (chat.Topic, error) {
	if s.cfg.Supervisor != nil && s.cfg.Supervisor(*ss.agent) {
		ss.supervisor = true
		return chat.TopicAll, nil
	}
	ss.sums = newSummaryBox()
	if err := s.sums.add(ss.sums); err != nil {
		ss.sums = nil
		return "", err
	}
	return chat.AgentTopic(ss.agent.ID), nil
}

// unfollowAgent stops the summaries of an agent's connection.
func (ss *session) unfollowAgent() {
	if ss.sums != nil {
		ss.srv.sums.remove(ss.sums)
	}
}

// follows reports whether the connection receives the events of c: a
// visitor's own, everything for a supervisor, and an agent's own and
// watched conversations.
func (ss *session) follows(c *chat.ConversationInfo) bool {
	if ss.agent == nil || ss.supervisor || c.AgentID == ss.agent.ID {
		return true
	}
	return ss.sub.Follows(chat.ConversationTopic(c.ID))
}

// watch has an agent's connection follow a conversation it syncs that is
// not the agent's own, until unwatch: the console opening a queued
// conversation or another agent's.
func (ss *session) watch(c chat.ConversationInfo) error {
	if ss.agent == nil || ss.supervisor || c.AgentID == ss.agent.ID {
		return nil
	}
	return ss.sub.Follow(chat.ConversationTopic(c.ID))
}

// unwatch stops following a watched conversation and returns the
// conversation the pump is to forget, or the nil id when the connection
// still follows it as the agent's own (or everything).
func (ss *session) unwatch(c chat.ConversationInfo) uuid.UUID {
	ss.sub.Unfollow(chat.ConversationTopic(c.ID))
	if ss.supervisor || c.AgentID == ss.agent.ID {
		return uuid.Nil
	}
	return c.ID
}

// summary writes a conversations summary.
func (p *pumpState) summary(s *summary) error {
	if s == nil {
		return nil
	}
	b, err := s.encode()
	if err != nil {
		return err
	}
	return p.writeEncoded(b)
}
