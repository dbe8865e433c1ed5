package chat

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// QueueStatus is a queued conversation's place in the queue of its
// department and the estimated wait before an agent takes it.
type QueueStatus struct {
	Position int           `json:"position"` // 1 is next
	Wait     time.Duration `json:"wait"`     // estimate; see Desk.Queue
}

// QueueEntry is one conversation in the queue.
type QueueEntry struct {
	Conversation ConversationInfo `json:"conversation"`
	QueueStatus
}

// queueSamples is how many recent departures from the queue the wait
// estimate looks at, and queueSampleAge how old they may be.
const (
	queueSamples   = 20
	queueSampleAge = time.Hour
)

// queueState is what the Desk remembers of the queue: when conversations
// recently left it, to estimate waits, and the positions last published,
// to tell visitors only of changes. The Desk's routeMu guards it.
type queueState struct {
	left      []time.Time // recent departures, oldest first
	published map[uuid.UUID]QueueStatus
}

// dequeued notes that conversation id left the queue for an agent at t.
// Only conversations that were told a place count: one assigned as it
// starts says nothing of how fast the queue moves.
func (q *queueState) dequeued(id uuid.UUID, t time.Time) {
	if _, ok := q.published[id]; !ok {
		return
	}
	delete(q.published, id)
	q.left = append(q.left, t)
	if len(q.left) > queueSamples {
		q.left = q.left[len(q.left)-queueSamples:]
	}
}

// perPlace estimates how long one place in the queue takes at now: the
// mean gap between recent departures, or fallback when the queue has not
// moved lately.
func (q *queueState) perPlace(now time.Time, fallback time.Duration) time.Duration {
	recent := q.left
	for len(recent) > 0 && now.Sub(recent[0]) > queueSampleAge {
		recent = recent[1:]
	}
	if len(recent) < 2 {
		return fallback
	}
	// The time since the last departure counts too: a queue that stopped
	// moving must not keep promising short waits.
	span := now.Sub(recent[0])
	return span / time.Duration(len(recent))
}

// Queue returns the queued conversations, oldest first, each with its
// position in its department's queue and an estimated wait: the position
// times the mean time between the queue's recent departures (over the
// last 20 within the hour, counting the time since the last), or times
// Config.QueueWait while there are too few of them.
func (d *Desk) Queue(ctx context.Context) ([]QueueEntry, error) {
	if err := d.checkOpen(); err != nil {
		return nil, err
	}
	d.routeMu.Lock()
	defer d.routeMu.Unlock()
	return d.queueEntries(ctx)
}

// queueEntries computes Queue; the caller holds d.routeMu.
func (d *Desk) queueEntries(ctx context.Context) ([]QueueEntry, error) {
	per := d.queue.perPlace(d.timestamp(), d.queueWait)
	positions := make(map[string]int)
	var out []QueueEntry
	err := d.eachConversation(ctx, ConversationFilter{Statuses: []Status{StatusQueued}}, func(c ConversationInfo) {
		positions[c.Department]++
		p := positions[c.Department]
		out = append(out, QueueEntry{Conversation: c, QueueStatus: QueueStatus{Position: p, Wait: time.Duration(p) * per}})
	})
	return out, err
}

// publishQueue tells each queued conversation its position and wait when
// either changed since it was last told. The caller holds d.routeMu.
func (d *Desk) publishQueue(ctx context.Context) {
	entries, err := d.queueEntries(ctx)
	if err != nil {
		d.log.ErrorContext(ctx, "chat: listing the queue", "err", err)
		return
	}
	old := d.queue.published
	d.queue.published = make(map[uuid.UUID]QueueStatus, len(entries))
	for _, e := range entries {
		d.queue.published[e.Conversation.ID] = e.QueueStatus
		if prev, ok := old[e.Conversation.ID]; ok && prev == e.QueueStatus {
			continue
		}
		qs := e.QueueStatus
		d.publish(ctx, Event{
			Type:           EventQueue,
			ConversationID: e.Conversation.ID,
			VisitorID:      e.Conversation.VisitorID,
			Queue:          &qs,
		})
	}
}
