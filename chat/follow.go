package chat

import "fmt"

// Follow adds topics to those the subscription receives, from the next
// event published on them. An event on several topics the subscription
// follows is still delivered once. Following a topic already followed does
// nothing. It returns an error wrapping ErrClosed when the subscription
// has ended.
func (s *Subscription) Follow(topics ...Topic) error {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		// end removes the topics after it marks the subscription closed,
		// so nothing added now would ever be removed.
		return fmt.Errorf("%w: the subscription has ended", ErrClosed)
	}
	for _, t := range topics {
		h.followLocked(s, t)
	}
	return nil
}

// Unfollow removes topics from those the subscription receives. Events of
// those topics already queued for the subscriber are still delivered.
// Unfollowing a topic not followed does nothing, and so does unfollowing
// after the subscription ended.
func (s *Subscription) Unfollow(topics ...Topic) {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, t := range topics {
		h.unfollowLocked(s, t)
	}
}

// Follows reports whether the subscription receives the events of t.
func (s *Subscription) Follows(t Topic) bool {
	s.hub.mu.RLock()
	defer s.hub.mu.RUnlock()
	_, ok := s.topics[t]
	return ok
}

// followLocked adds t to the topics of s; h.mu is held for writing.
func (h *hub) followLocked(s *Subscription, t Topic) {
	subs := h.topics[t]
	if subs == nil {
		subs = make(map[*Subscription]struct{})
		h.topics[t] = subs
	}
	subs[s] = struct{}{}
	s.topics[t] = struct{}{}
}

// unfollowLocked removes t from the topics of s; h.mu is held for writing.
func (h *hub) unfollowLocked(s *Subscription, t Topic) {
	delete(s.topics, t)
	subs := h.topics[t]
	if subs == nil {
		return
	}
	delete(subs, s)
	if len(subs) == 0 {
		delete(h.topics, t)
	}
}

// targetsLocked returns the subscriptions that follow any of topics, each
// once; h.mu is held. An event has at most a handful of topics, so a
// subscription seen on an earlier one is found by looking back through
// those topics' sets rather than by building a set of the targets.
func (h *hub) targetsLocked(topics []Topic) []*Subscription {
	var targets []*Subscription
	for i, t := range topics {
		for s := range h.topics[t] {
			if !followsAny(s, topics[:i]) {
				targets = append(targets, s)
			}
		}
	}
	return targets
}

// followsAny reports whether s follows one of topics; the hub's lock is
// held.
func followsAny(s *Subscription, topics []Topic) bool {
	for _, t := range topics {
		if _, ok := s.topics[t]; ok {
			return true
		}
	}
	return false
}
