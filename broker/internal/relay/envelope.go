package relay

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/parleychat/parley/chat"
)

// Version is the envelope version that Marshal writes and Unmarshal reads.
//
// Within one version, fields may be added to chat.Event: readers ignore
// fields they do not know, so instances of two releases can share a
// broker. A change that old readers would misread takes a new version;
// instances that read it then have to be deployed before any writes it.
const Version = 1

// ErrVersion means an envelope was written in a version this release
// cannot read, by a newer instance sharing the broker.
var ErrVersion = errors.New("relay: unknown envelope version")

// envelope is an event as it travels: {"v":1,"event":{...}}, the event in
// the JSON of chat.Event's tags.
type envelope struct {
	V     int             `json:"v"`
	Event json.RawMessage `json:"event"`
}

// Marshal encodes e in an envelope of the current Version.
func Marshal(e chat.Event) ([]byte, error) {
	body, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("relay: encoding a %s event: %w", e.Type, err)
	}
	return json.Marshal(envelope{V: Version, Event: body})
}

// Unmarshal decodes an envelope written by Marshal. An envelope of another
// version returns an error wrapping ErrVersion; anything else that is not
// an envelope returns a plain decoding error.
func Unmarshal(data []byte) (chat.Event, error) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return chat.Event{}, fmt.Errorf("relay: decoding an envelope: %w", err)
	}
	if env.V != Version {
		return chat.Event{}, fmt.Errorf("%w %d (this release reads %d)", ErrVersion, env.V, Version)
	}
	if len(env.Event) == 0 {
		return chat.Event{}, errors.New("relay: decoding an envelope: no event")
	}
	var e chat.Event
	if err := json.Unmarshal(env.Event, &e); err != nil {
		return chat.Event{}, fmt.Errorf("relay: decoding an event: %w", err)
	}
	return e, nil
}
