package chat

// Resync tells the Desk that it may have missed events published by other
// instances, as when its Broker lost its connection for a while. Call it
// from the Broker's reconnect hook (OnReconnect in broker/redisbroker,
// broker/natsbroker and broker/pgnotify), once events flow again.
//
// The Desk then forgets the conversations it keeps in memory, so that the
// next use of each reads it from the Store; reads the blocks in force
// again at the next check; and delivers an EventResync to every one of
// its subscriptions, whatever their topic. The transport answers it by
// sending each connection the stored messages it missed in every
// conversation it follows. Passing signals missed meanwhile (typing, read
// receipts, presence, queue places) are not recovered.
//
// Resync does no I/O and never blocks: a subscription whose buffer is full
// is cut off with ErrSlowConsumer, as for any event. It is safe for
// concurrent use and does nothing once the Desk is closed.
func (d *Desk) Resync() {
	if d.closed.Load() {
		return
	}
	d.convs.clear()
	d.blocks.expire()
	e := Event{Type: EventResync, At: d.timestamp()}
	d.log.Info("chat: catching up after missed events")
	d.hub.broadcast(e)
}
