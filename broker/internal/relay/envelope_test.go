package relay

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

func TestEnvelopeFormat(t *testing.T) {
	id := chat.NewID()
	at := time.Date(2025, 3, 14, 15, 9, 26, 535_897_000, time.UTC)
	data, err := Marshal(chat.Event{Type: chat.EventTyping, ConversationID: id, Typing: true, At: at})
	require.NoError(t, err)
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(data, &raw))
	assert.JSONEq(t, `1`, string(raw["v"]), "the envelope names its version")
	assert.JSONEq(t, `{"type":"typing","conversation_id":"`+id.String()+`","typing":true,"at":"2025-03-14T15:09:26.535897Z"}`,
		string(raw["event"]), "the event is chat.Event's own JSON")
	e, err := Unmarshal(data)
	require.NoError(t, err)
	assert.Equal(t, chat.Event{Type: chat.EventTyping, ConversationID: id, Typing: true, At: at}, e)
}

func TestUnmarshalRefuses(t *testing.T) {
	for name, in := range map[string]string{
		"not JSON":       `{"v":1,`,
		"no version":     `{"event":{"type":"typing"}}`,
		"no event":       `{"v":1}`,
		"event not JSON": `{"v":1,"event":"typing"}`,
		"newer version":  `{"v":2,"event":{"type":"typing"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Unmarshal([]byte(in))
			require.Error(t, err)
			assert.Equal(t, name == "newer version" || name == "no version", errors.Is(err, ErrVersion),
				"only a missing or other version is ErrVersion: %v", err)
		})
	}
}

// TestUnknownFieldsIgnored is what lets a release add fields to events
// within one envelope version.
func TestUnknownFieldsIgnored(t *testing.T) {
	e, err := Unmarshal([]byte(`{"v":1,"later":true,"event":{"type":"read","seq":4,"added_later":{"x":1}}}`))
	require.NoError(t, err)
	assert.Equal(t, chat.Event{Type: chat.EventRead, Seq: 4}, e)
}

// FuzzUnmarshal feeds the decoder what another process could put on the
// broker: it must return an event or an error, never panic, and what it
// returns must encode and decode to itself.
func FuzzUnmarshal(f *testing.F) {
	good, err := Marshal(chat.Event{Type: chat.EventMessage, ConversationID: chat.NewID(),
		Message: &chat.Message{Body: "hi"}, Block: &chat.Block{}, At: time.Now()})
	require.NoError(f, err)
	f.Add(good)
	f.Add([]byte(`{"v":1,"event":{"type":"queue","queue":{"position":1,"wait":5}}}`))
	f.Add([]byte(`{"v":1,"event":{"block":{"network":"10.0.0.0/8"}}}`))
	f.Add([]byte(`{"v":3}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Unmarshal(data)
		if err != nil {
			return
		}
		again, err := Marshal(e)
		require.NoError(t, err, "an event Unmarshal returned encodes")
		e2, err := Unmarshal(again)
		require.NoError(t, err, "what Marshal wrote decodes")
		b1, _ := json.Marshal(e)
		b2, _ := json.Marshal(e2)
		assert.JSONEq(t, string(b1), string(b2), "an event survives a second round trip")
	})
}
