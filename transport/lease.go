package transport

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/parleychat/parley/chat"
)

// leaseKeeper holds the presence leases of the agents connected to a
// Server (see chat.AgentLeaseStore), so that the agents of an instance
// that dies without a goodbye go offline once the leases end. One ticker
// renews them all.
type leaseKeeper struct {
	holder string     // this Server, in the store's leases
	mu     sync.Mutex // orders renewals with releases, so a release is not undone
	stop   chan struct{}
	done   chan struct{}
	// Guarded by Server.mu.
	started, stopped bool
}

// holdAgent takes the lease on an agent who is connecting, before they are
// set online, and starts the renewals.
func (s *Server) holdAgent(ctx context.Context, agentID string) error {
	s.leases.mu.Lock()
	err := s.desk.RenewAgentLeases(ctx, s.leases.holder, []string{agentID})
	s.leases.mu.Unlock()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.leases.started && !s.leases.stopped {
		s.leases.started = true
		go s.renewLeases(s.desk.AgentLeaseTTL() / 3)
	}
	return nil
}

// renewLeases renews the leases of the connected agents, and of those in
// their grace period, every interval until Shutdown or the Desk closes.
func (s *Server) renewLeases(interval time.Duration) {
	defer close(s.leases.done)
	t := time.NewTicker(max(interval, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-s.leases.stop:
			return
		case <-t.C:
		}
		s.leases.mu.Lock()
		s.mu.Lock()
		ids := make([]string, 0, len(s.agents)+len(s.leaving))
		for id := range s.agents {
			ids = append(ids, id)
		}
		for id := range s.leaving { // never also in s.agents
			ids = append(ids, id)
		}
		s.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
		err := s.desk.RenewAgentLeases(ctx, s.leases.holder, ids)
		cancel()
		s.leases.mu.Unlock()
		if errors.Is(err, chat.ErrClosed) {
			return
		}
		if err != nil {
			s.log.Warn("transport: renewing agents' presence leases", "agents", len(ids), "err", err)
		}
	}
}

// releaseAgent gives up the lease on an agent whose grace period ended;
// the Desk sets them offline unless another instance holds them.
func (s *Server) releaseAgent(ctx context.Context, agentID string) error {
	s.leases.mu.Lock()
	defer s.leases.mu.Unlock()
	return s.desk.ReleaseAgentLease(ctx, agentID, s.leases.holder)
}

// stopLeases stops the renewals for Shutdown and waits for one in
// progress. The leases are not released: they end after the lease time,
// unless the agents reconnect to this or another instance first.
func (s *Server) stopLeases() {
	s.mu.Lock()
	started := s.leases.started && !s.leases.stopped
	s.leases.stopped = true
	s.mu.Unlock()
	if started {
		close(s.leases.stop)
		<-s.leases.done
	}
}
