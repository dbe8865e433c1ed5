package chat

import (
	"context"
	"time"
)

// AssignStore opens conversations with agents within the agents' capacity,
// as one step in the store, so that no agent ever holds more open
// conversations than their Capacity however many Desks assign at once.
// A Desk checks room only here: a count it made itself would be stale by
// the time it wrote, since another instance may assign in between.
//
// store/sqlstore locks the agent's row (SELECT ... FOR UPDATE; SQLite's
// write lock does the same for the whole database), counts the agent's
// open conversations and updates the conversation in one transaction.
// The count is of the conversations themselves, so every path that ends
// an assignment (closing, requeueing, a transfer, a shop's own
// UpdateConversation) frees room without having to keep a counter true.
type AssignStore interface {
	// AssignConversation stores c as UpdateConversation does, where c is
	// open with an agent (Status StatusOpen, AgentID set), when the agent
	// has fewer than capacity other open conversations: those with Status
	// StatusOpen and AgentID c.AgentID, c itself not counted. capacity 0
	// means no limit. The count and the write are one step: of concurrent
	// calls for one agent, each counts every assignment that succeeded
	// before it. Otherwise nothing changes, and it returns
	//   - ErrNotFound for an unknown agent or conversation,
	//   - ErrAgentBusy when the agent has capacity or more other open
	//     conversations (checked before the Version),
	//   - ErrConflict for a stale Version,
	//   - ErrInvalid, checked with CheckAssign, for a conversation that is
	//     not open with an agent or a negative capacity.
	AssignConversation(ctx context.Context, c ConversationInfo, capacity int) (ConversationInfo, error)
	// AgentLoads returns how busy each agent in ids is, one AgentLoad per
	// id in the order of ids, read in one step however many ids there are,
	// so that placing a conversation costs the same few queries with one
	// agent online or a hundred. An id with no agent or no conversation
	// gets a zero load; that is no error.
	AgentLoads(ctx context.Context, ids []string) ([]AgentLoad, error)
}

// AgentLoad is how busy one agent is, as AssignStore.AgentLoads reads it.
type AgentLoad struct {
	// AgentID is the agent's id.
	AgentID string
	// Open counts the conversations open with the agent: Status
	// StatusOpen and AgentID the agent's.
	Open int
	// LastAssignedAt is the latest AssignedAt of the conversations whose
	// AgentID is the agent's, whatever their status: when the agent last
	// got a conversation, which round-robin routing orders by. Zero when
	// the agent has none.
	LastAssignedAt time.Time
}

// CheckAssign reports with ErrInvalid why the arguments of
// AssignStore.AssignConversation break its rules: c must be valid and open
// with an agent, and capacity not negative.
func CheckAssign(c ConversationInfo, capacity int) error {
	if err := c.Validate(); err != nil {
		return err
	}
	switch {
	case c.Status != StatusOpen:
		return invalid("an assigned conversation is open, not %.32q", c.Status)
	case c.AgentID == "":
		return invalid("an assigned conversation needs an agent")
	case capacity < 0:
		return invalid("capacity %d is negative", capacity)
	}
	return nil
}
