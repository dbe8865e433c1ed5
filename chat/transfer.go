package chat

import (
	"cmp"
	"context"
	"fmt"
	"time"
)

// Transfer says where a conversation moves with Conversation.Transfer.
type Transfer struct {
	// AgentID, when set, hands the conversation to this agent, who must be
	// online and have room under their Capacity.
	AgentID string
	// Department, when set, moves the conversation to this department.
	// Without AgentID the conversation goes back to the queue and the
	// Router places it with an agent of the department other than the one
	// it leaves; when none of them has room it takes its turn in the queue,
	// where any agent of the department may get it, the one it left
	// included.
	Department string
	// By is who made the transfer, named in the system message; usually
	// the agent who had the conversation.
	By Author
}

// Transfer implements Conversation.Transfer.
func (h *handle) Transfer(ctx context.Context, t Transfer) (ConversationInfo, error) {
	d := h.desk
	if err := d.checkOpen(); err != nil {
		return ConversationInfo{}, err
	}
	if t.AgentID == "" && t.Department == "" {
		return ConversationInfo{}, invalid("a transfer needs an agent or a department")
	}
	if err := firstErr(t.By.Validate(), checkText("department", t.Department, MaxIDBytes)); err != nil {
		return ConversationInfo{}, err
	}
	var to Agent
	if t.AgentID != "" {
		var err error
		if to, err = d.store.Agent(ctx, t.AgentID); err != nil {
			return ConversationInfo{}, err
		}
		if to.Status != AgentOnline {
			return ConversationInfo{}, fmt.Errorf("%w: agent %s is %s", ErrAgentBusy, to.ID, to.Status)
		}
		if t.Department != "" && !serves(to, t.Department) {
			return ConversationInfo{}, invalid("agent %s does not serve department %.64q", to.ID, t.Department)
		}
	}

	d.routeMu.Lock()
	defer d.routeMu.Unlock()
	var previous string
	c, changed, err := d.updateConversation(ctx, h.id, func(c *ConversationInfo) (bool, error) {
		if c.Status == StatusClosed {
			return false, fmt.Errorf("%w: conversation %s is closed", ErrClosed, c.ID)
		}
		previous = c.AgentID
		if t.Department != "" {
			c.Department = t.Department
		}
		if t.AgentID != "" {
			c.AgentID, c.Status, c.AssignedAt = t.AgentID, StatusOpen, d.timestamp()
			if c.FirstAssignedAt.IsZero() {
				c.FirstAssignedAt = c.AssignedAt
			}
		} else {
			c.AgentID, c.Status, c.AssignedAt = "", StatusQueued, time.Time{}
		}
		return true, nil
	})
	if err != nil || !changed {
		return c, err
	}
	words := languageOf(d.visitorOf(ctx, c).Locale)
	body := fmt.Sprintf(words.toAgent, cmp.Or(to.Name, to.ID))
	if t.AgentID == "" {
		body = fmt.Sprintf(words.toDepartment, t.Department)
	}
	if t.By.Name != "" {
		body = t.By.Name + ": " + body
	}
	if _, _, err := h.post(ctx, c, Message{Author: Author{Kind: AuthorSystem}, Body: body}); err != nil {
		d.log.ErrorContext(ctx, "chat: noting a transfer", "conversation", c.ID, "err", err)
	}
	if t.AgentID != "" {
		e := conversationEvent(EventAssigned, c, previous)
		e.Author = Author{Kind: AuthorAgent, ID: to.ID, Name: to.Name}
		d.publish(ctx, e)
	} else {
		d.publish(ctx, conversationEvent(EventStatus, c, previous))
	}
	// The agent it left has room again: the conversation itself first, to
	// anyone but that agent, then the queue in its order, then offline
	// requests.
	if t.AgentID == "" {
		if err := d.place(ctx, c, previous); err != nil {
			d.log.ErrorContext(ctx, "chat: placing a transferred conversation", "conversation", c.ID, "err", err)
		}
	}
	d.drainLocked(ctx, StatusQueued, StatusWaiting)
	d.publishQueue(ctx)
	return d.store.Conversation(ctx, c.ID)
}
