package transport_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// TestSSESessionOnAnotherInstance runs two instances on one store and
// broker, as behind a load balancer without sticky sessions: an SSE
// session opened on one is refused on the other with 421 wrong_instance,
// for its stream and its POSTs, and the other instance logs that SSE needs
// sticky sessions. A session id of its own instance that it does not hold
// stays a 404, and the session keeps working where it lives.
func TestSSESessionOnAnotherInstance(t *testing.T) {
	t.Parallel()
	store, broker := memory.New(), &chat.LocalBroker{}
	a := newHarnessWithDesk(t, chat.Config{Store: store, Broker: broker})
	logs := &logCapture{}
	b := newHarnessWithDesk(t, chat.Config{Store: store, Broker: broker}, func(c *transport.Config) { c.Logger = slog.New(logs) })

	v := a.visitor(sse)
	refused := func(resp *http.Response, err error) (int, string) {
		t.Helper()
		require.NoError(t, err)
		var f wire.ServerFrame
		require.NoError(t, decodeJSON(resp, &f))
		require.NotNil(t, f.Error)
		return resp.StatusCode, f.Error.Code
	}
	status, code := refused(http.Get(b.url + "/chat/sse/" + v.session))
	assert.Equal(t, http.StatusMisdirectedRequest, status, "the stream on the other instance")
	assert.Equal(t, wire.CodeWrongInstance, code)
	status, code = refused(http.Post(b.url+"/chat/sse/"+v.session, "application/json", strings.NewReader(`{"type":"ping","id":"1"}`)))
	assert.Equal(t, http.StatusMisdirectedRequest, status, "a frame posted to the other instance")
	assert.Equal(t, wire.CodeWrongInstance, code)
	assert.Len(t, logs.matching("sticky sessions"), 1, "logged once, not per request")

	_, tag, ok := strings.Cut(v.session, ".")
	require.True(t, ok, "the session id names its instance")
	status, code = refused(http.Post(a.url+"/chat/sse/unknown."+tag, "application/json", strings.NewReader(`{"type":"ping","id":"1"}`)))
	assert.Equal(t, http.StatusNotFound, status, "an unknown session of the instance itself")
	assert.Equal(t, wire.CodeNotFound, code)

	v.alive()
}
