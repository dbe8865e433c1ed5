package transport_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// TestAgentsExportAndEraseWithTheShopsPermission has the agent the shop
// lets handle privacy requests export a visitor's data and erase it, over
// a real connection and a real SQLite file; another agent and the visitor
// are refused.
func TestAgentsExportAndEraseWithTheShopsPermission(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "parley.db"), sqlstore.Config{})
		require.NoError(t, err)
		t.Cleanup(func() { _ = store.Close(context.Background()) })
		h := newHarnessWithStore(t, store, func(c *transport.Config) {
			c.Privacy = func(a chat.Agent) bool { return a.ID == "dpo" }
		})
		olga := h.agent(k, "olga")
		v := h.visitor(k)
		conv := v.start("")
		v.say(conv, "Please forget me")
		visitorID := v.welcome.Visitor.ID

		r := olga.request(wire.ClientFrame{Type: wire.FrameExport, VisitorID: visitorID})
		require.NotNil(t, r.Error, "an agent the shop does not allow")
		assert.Equal(t, wire.CodeForbidden, r.Error.Code)
		r = olga.request(wire.ClientFrame{Type: wire.FrameErase, VisitorID: visitorID})
		require.NotNil(t, r.Error)
		assert.Equal(t, wire.CodeForbidden, r.Error.Code, "erasing too")
		r = v.request(wire.ClientFrame{Type: wire.FrameExport, VisitorID: visitorID})
		require.NotNil(t, r.Error)
		assert.Equal(t, wire.CodeUnknownType, r.Error.Code, "visitors send no export")

		dpo := h.agent(k, "dpo")
		r = dpo.request(wire.ClientFrame{Type: wire.FrameExport})
		require.NotNil(t, r.Error)
		assert.Equal(t, wire.CodeInvalid, r.Error.Code, "export needs visitor_id")
		got := dpo.mustRequest(wire.ClientFrame{Type: wire.FrameExport, VisitorID: visitorID})
		require.Equal(t, wire.FrameExport, got.Type)
		require.NotNil(t, got.Export)
		assert.Equal(t, visitorID, got.Export.Visitor.ID)
		require.Len(t, got.Export.Conversations, 1)
		var bodies []string
		for _, m := range got.Export.Conversations[0].Messages {
			bodies = append(bodies, m.Body)
		}
		assert.Contains(t, bodies, "Please forget me")

		dpo.mustRequest(wire.ClientFrame{Type: wire.FrameErase, VisitorID: visitorID})
		_, err = store.Visitor(t.Context(), visitorID)
		assert.ErrorIs(t, err, chat.ErrNotFound, "the visitor is erased from the store")
		_, err = store.Conversation(t.Context(), conv.ID)
		assert.ErrorIs(t, err, chat.ErrNotFound, "with their conversation")
		r = dpo.request(wire.ClientFrame{Type: wire.FrameExport, VisitorID: visitorID})
		require.NotNil(t, r.Error)
		assert.Equal(t, wire.CodeNotFound, r.Error.Code, "nothing is left to export")
	})
}
