package chat

import (
	"context"
	"slices"
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
// estimate looks at, and queueSampleAge how old they may be. A
// conversation counts as having left the queue when an agent first got it
// at least minQueued after it started: one assigned as it starts says
// nothing of how fast the queue moves. queueScan caps the conversations
// read to find the departures.
const (
	queueSamples   = 20
	queueSampleAge = time.Hour
	minQueued      = time.Second
	queueScan      = 200
)

// queueState is what the Desk remembers of the queue: the positions last
// published, to tell visitors only of changes. The Desk's routeMu guards
// it.
type queueState struct {
	published map[uuid.UUID]QueueStatus
}

// departures reads from the Store when recent conversations left the
// queue for an agent, oldest first, at most queueSamples within
// queueSampleAge of now. Every instance sharing the Store reads the same,
// so they estimate the same waits.
func (d *Desk) departures(ctx context.Context, now time.Time) ([]time.Time, error) {
	recent, err := d.store.Conversations(ctx, ConversationFilter{
		Statuses:    []Status{StatusOpen, StatusClosed},
		CreatedFrom: now.Add(-queueSampleAge),
		Newest:      true,
		Limit:       queueScan,
	})
	if err != nil {
		return nil, err
	}
	var left []time.Time
	for _, c := range recent {
		at := c.FirstAssignedAt
		if c.Offline || at.IsZero() || at.Sub(c.CreatedAt) < minQueued || now.Sub(at) > queueSampleAge {
			continue
		}
		left = append(left, at)
	}
	slices.SortFunc(left, time.Time.Compare)
	if len(left) > queueSamples {
		left = left[len(left)-queueSamples:]
	}
	return left, nil
}

// perPlace estimates how long one place in the queue takes at now, given
// the recent departures oldest first: their mean gap, or fallback when the
// queue has not moved lately.
func perPlace(left []time.Time, now time.Time, fallback time.Duration) time.Duration {
	if len(left) < 2 {
		return fallback
	}
	// The time since the last departure counts too: a queue that stopped
	// moving must not keep promising short waits.
	span := now.Sub(left[0])
	return span / time.Duration(len(left))
}

// Queue returns the queued conversations, oldest first, each with its
// position in its department's queue and an estimated wait: the position
// times the mean time between the queue's recent departures (over the
// last 20 within the hour, counting the time since the last), or times
// Config.QueueWait while there are too few of them. Positions and
// departures are read from the Store, so every instance of a shop gives
// the same answer.
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
	positions := make(map[string]int)
	var out []QueueEntry
	err := d.eachConversation(ctx, ConversationFilter{Statuses: []Status{StatusQueued}}, func(c ConversationInfo) {
		positions[c.Department]++
		out = append(out, QueueEntry{Conversation: c, QueueStatus: QueueStatus{Position: positions[c.Department]}})
	})
	if err != nil || len(out) == 0 {
		return out, err
	}
	now := d.timestamp()
	left, err := d.departures(ctx, now)
	if err != nil {
		return nil, err
	}
	per := perPlace(left, now, d.queueWait)
	for i := range out {
		out[i].Wait = time.Duration(out[i].Position) * per
	}
	return out, nil
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
