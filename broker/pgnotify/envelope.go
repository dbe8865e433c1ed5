package pgnotify

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/parleychat/parley/broker/internal/relay"
	"github.com/parleychat/parley/chat"
)

// maxPayload is the longest NOTIFY payload PostgreSQL accepts in its
// default build: the payload must be shorter than 8000 bytes.
const maxPayload = 7999

// reference is the notification of an event too large to travel inline:
// {"v":1,"ref":42} names the row of the events table that holds the
// event's envelope. It shares the envelope's version.
type reference struct {
	V   int   `json:"v"`
	Ref int64 `json:"ref"`
}

// encode returns the envelope that carries e, the one every Parley broker
// writes.
func encode(e chat.Event) ([]byte, error) {
	return relay.Marshal(e)
}

// decode reads a notification: an envelope, or a reference to a row. It
// returns either the event or a positive row id, never both.
func decode(payload []byte) (chat.Event, int64, error) {
	var r reference
	if err := json.Unmarshal(payload, &r); err == nil && r.Ref != 0 {
		switch {
		case r.V != relay.Version:
			return chat.Event{}, 0, fmt.Errorf("%w %d (this release reads %d)", relay.ErrVersion, r.V, relay.Version)
		case r.Ref < 0:
			return chat.Event{}, 0, errors.New("pgnotify: a reference to a negative row id")
		}
		return chat.Event{}, r.Ref, nil
	}
	e, err := relay.Unmarshal(payload)
	return e, 0, err
}
