package wire_test

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

func FuzzDecodeClientFrame(f *testing.F) {
	for _, seed := range []string{
		`{"type":"hello","v":1,"token":"abc.def"}`,
		`{"type":"hello","v":1,"lang":"pl-PL","tz":"Europe/Warsaw"}`,
		`{"type":"send","id":"1","conversation_id":"7c9e6679-7425-40de-944b-e07fc1f90ae7","key":"k","body":"Zażółć"}`,
		`{"type":"sync","conversation_id":"7c9e6679-7425-40de-944b-e07fc1f90ae7","after_seq":5}`,
		`{"type":"read","conversation_id":"7c9e6679-7425-40de-944b-e07fc1f90ae7","seq":-1}`,
		`{"type":"presence","presence":"away"}`,
		`{"type":"page","url":"https://shop.example.com/"}`,
		`{"type":"block","network":"10.1.0.0/16","duration_ms":60000,"reason":"spam"}`,
		`{"type":"history","visitor_id":"7c9e6679-7425-40de-944b-e07fc1f90ae7","before":"1b4e28ba-2fa1-41d2-883f-0016d3cca427"}`,
		`{"type":"start","name":"Anna","email":"anna@example.pl"}`,
		`{"type":"ping"} {"type":"ping"}`,
		`[]`, `null`, `"x"`, ``, "\xff",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		frame, err := wire.DecodeClientFrame(data)
		if err != nil {
			var pe *wire.Error
			if !errors.As(err, &pe) || pe.Code == "" || pe.Message == "" {
				t.Fatalf("every failure is a *wire.Error with a code and a message, got %#v", err)
			}
			return
		}
		if frame.Type == "" {
			t.Fatal("a decoded frame has a type")
		}
		// What decoded once decodes the same after a round trip.
		again, err := json.Marshal(frame)
		if err != nil {
			t.Fatal(err)
		}
		frame2, err := wire.DecodeClientFrame(again)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", again, err)
		}
		if !reflect.DeepEqual(frame, frame2) {
			t.Fatalf("round trip changed the frame: %+v became %+v", frame, frame2)
		}
	})
}

// TestProtocolDocExamples checks that every example frame in
// docs/protocol.md still means what the document says: client frames
// decode (or fail with the code the document names), server frames decode
// into wire.ServerFrame with every field known.
func TestProtocolDocExamples(t *testing.T) {
	doc, err := os.ReadFile("../docs/protocol.md")
	require.NoError(t, err)
	re := regexp.MustCompile("(?s)```json (client|server|client-error:[a-z_]+)\n(.*?)```")
	blocks := re.FindAllStringSubmatch(string(doc), -1)
	require.NotEmpty(t, blocks, "docs/protocol.md has tagged examples")
	seen := map[string]bool{}
	for _, b := range blocks {
		tag, body := b[1], strings.TrimSpace(b[2])
		for _, line := range strings.Split(body, "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			switch {
			case tag == "client":
				f, err := wire.DecodeClientFrame([]byte(line))
				assert.NoError(t, err, "client example %s", line)
				seen["client:"+f.Type] = true
			case strings.HasPrefix(tag, "client-error:"):
				_, err := wire.DecodeClientFrame([]byte(line))
				var pe *wire.Error
				if assert.True(t, errors.As(err, &pe), "example %s must fail", line) {
					assert.Equal(t, strings.TrimPrefix(tag, "client-error:"), pe.Code, line)
				}
			default:
				dec := json.NewDecoder(strings.NewReader(line))
				dec.DisallowUnknownFields()
				var f wire.ServerFrame
				assert.NoError(t, dec.Decode(&f), "server example %s", line)
				seen["server:"+f.Type] = true
			}
		}
	}
	for _, typ := range []string{"hello", "start", "send", "sync", "typing", "read", "presence", "rate", "close", "page", "assign", "ping", "pong",
		"invite_reply", "history", "note", "transcript", "transfer", "stats", "block", "unblock", "blocks", "action", "cart"} {
		assert.True(t, seen["client:"+typ], "docs/protocol.md shows a %s frame", typ)
	}
	for _, typ := range []string{"welcome", "started", "ack", "synced", "ok", "error", "reconnect", "ping", "pong",
		"message", "assigned", "status", "rated", "typing", "read", "presence",
		"visitor", "visitor_left", "invite", "history", "queue", "stats", "block", "blocks", "availability"} {
		assert.True(t, seen["server:"+typ], "docs/protocol.md shows a server %s frame", typ)
	}
}

// TestProtocolDocLimits checks that the limits table of docs/protocol.md
// gives each constant of package chat its value.
func TestProtocolDocLimits(t *testing.T) {
	doc, err := os.ReadFile("../docs/protocol.md")
	require.NoError(t, err)
	_, table, ok := strings.Cut(string(doc), "\n## Limits\n")
	require.True(t, ok, "docs/protocol.md has a Limits section")
	table, _, _ = strings.Cut(table, "\n## ")
	limits := map[string]int{
		"MaxBodyBytes": chat.MaxBodyBytes, "MaxNameBytes": chat.MaxNameBytes, "MaxEmailBytes": chat.MaxEmailBytes,
		"MaxIDBytes": chat.MaxIDBytes, "MaxURLBytes": chat.MaxURLBytes, "MaxTitleBytes": chat.MaxTitleBytes,
		"MaxAttachments": chat.MaxAttachments, "MaxAgentDepartments": chat.MaxAgentDepartments, "MaxReasonBytes": chat.MaxReasonBytes,
		"MaxLocaleBytes": chat.MaxLocaleBytes, "MaxTimeZoneBytes": chat.MaxTimeZoneBytes,
		"MaxQuickReplies": chat.MaxQuickReplies, "MaxQuickReplyBytes": chat.MaxQuickReplyBytes,
	}
	for name, value := range limits {
		row := regexp.MustCompile("(?m)^\\|.*`chat\\." + name + "`.*$").FindString(table)
		if assert.NotEmpty(t, row, "the table lists chat.%s", name) {
			n := strconv.Itoa(value)
			if value >= 1000 {
				n = n[:len(n)-3] + "," + n[len(n)-3:]
			}
			assert.Regexp(t, "\\| "+n+"( bytes)?[ ,]", row, "chat.%s is %d", name, value)
		}
	}
}
