package pgnotify

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/parleychat/parley/chat"
)

// envelopeVersion is the version of the JSON envelope this package writes.
// A broker drops, with a log line, an envelope of a version it does not
// know, so instances of different releases can share a channel while a
// shop upgrades.
const envelopeVersion = 1

// maxPayload is the longest NOTIFY payload PostgreSQL accepts in its
// default build: the payload must be shorter than 8000 bytes.
const maxPayload = 7999

// envelope is what travels in a NOTIFY payload and in the events table:
// either the event itself or, in a notification, the id of the row that
// holds an event too large to travel inline.
type envelope struct {
	V     int         `json:"v"`
	Event *chat.Event `json:"event,omitempty"`
	Ref   int64       `json:"ref,omitempty"`
}

// errVersion reports an envelope written by a release that speaks another
// version.
var errVersion = errors.New("pgnotify: unknown envelope version")

// encode returns the envelope that carries e inline.
func encode(e chat.Event) ([]byte, error) {
	b, err := json.Marshal(envelope{V: envelopeVersion, Event: &e})
	if err != nil {
		return nil, fmt.Errorf("pgnotify: encoding event: %w", err)
	}
	return b, nil
}

// decode reads an envelope. It returns either the event or a positive row
// id, never both.
func decode(payload []byte) (chat.Event, int64, error) {
	var env envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return chat.Event{}, 0, fmt.Errorf("pgnotify: decoding envelope: %w", err)
	}
	if env.V != envelopeVersion {
		return chat.Event{}, 0, fmt.Errorf("%w: %d", errVersion, env.V)
	}
	switch {
	case env.Event != nil && env.Ref == 0:
		return *env.Event, 0, nil
	case env.Event == nil && env.Ref > 0:
		return chat.Event{}, env.Ref, nil
	default:
		return chat.Event{}, 0, errors.New("pgnotify: envelope holds neither an event nor a row id")
	}
}
