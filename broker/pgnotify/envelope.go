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

// maxReference is longer than any reference the broker writes: a payload
// this long or longer is an envelope, and is parsed once, not twice.
const maxReference = 64

// decode reads a notification: an envelope, or a reference to a row. It
// returns either the event or a positive row id, never both.
func decode(payload []byte) (chat.Event, int64, error) {
	if ref, ok, err := decodeReference(payload); ok {
		return chat.Event{}, ref, err
	}
	e, err := relay.Unmarshal(payload)
	return e, 0, err
}

// decodeReference reads payload as a reference; ok is false when it is
// none, and then payload is an envelope.
func decodeReference(payload []byte) (ref int64, ok bool, err error) {
	var r reference
	if len(payload) >= maxReference || json.Unmarshal(payload, &r) != nil || r.Ref == 0 {
		return 0, false, nil
	}
	switch {
	case r.V != relay.Version:
		return 0, true, fmt.Errorf("%w %d (this release reads %d)", relay.ErrVersion, r.V, relay.Version)
	case r.Ref < 0:
		return 0, true, errors.New("pgnotify: a reference to a negative row id")
	}
	return r.Ref, true, nil
}
