package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

func isolationCases() []testCase {
	return []testCase{
		{"AgentDepartments", testIsolationAgent},
		{"ConversationResolved", testIsolationResolved},
		{"MessageAttachments", testIsolationAttachments},
	}
}

func testIsolationAgent(t *testing.T, f *fixture) {
	a := newAgent()
	a.Departments = []string{"delivery", "returns"}
	want := normAgent(a)
	want.Departments = []string{"delivery", "returns"}
	require.NoError(t, f.s.PutAgent(f.ctx, a))
	a.Departments[0] = "changed after PutAgent"

	got, err := f.s.Agent(f.ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, want, got, "changing the slice passed to PutAgent changed the stored agent")
	got.Departments[1] = "changed after Agent"
	f.requireAgent(want, "changing the slice Agent returned changed the stored agent")
}

func testIsolationResolved(t *testing.T, f *fixture) {
	c := newConversation(f.visitor().ID)
	c.Resolved = boolPtr(true)
	c.Status = chat.StatusClosed
	c.ClosedAt = baseTime()
	created := f.create(c)
	*c.Resolved = false
	require.True(t, *f.get(c.ID).Resolved, "changing the *bool passed to CreateConversation changed the stored one")

	*created.Resolved = false
	require.True(t, *f.get(c.ID).Resolved, "changing the *bool CreateConversation returned changed the stored one")

	got := f.get(c.ID)
	*got.Resolved = false
	require.True(t, *f.get(c.ID).Resolved, "changing the *bool Conversation returned changed the stored one")

	upd := f.get(c.ID)
	upd.Resolved = boolPtr(false)
	updated, err := f.s.UpdateConversation(f.ctx, upd)
	require.NoError(t, err)
	*upd.Resolved = true
	*updated.Resolved = true
	require.False(t, *f.get(c.ID).Resolved, "changing the *bool passed to or returned by UpdateConversation changed the stored one")

	listed := f.listConversations(chat.ConversationFilter{VisitorID: c.VisitorID})
	require.Len(t, listed, 1)
	*listed[0].Resolved = true
	require.False(t, *f.get(c.ID).Resolved, "changing the *bool Conversations returned changed the stored one")
}

func testIsolationAttachments(t *testing.T, f *fixture) {
	c := f.conversation()
	m := fullMessage(c.ID, c.VisitorID)
	want := wantMessage(m, 1)
	want.Attachments = append([]chat.Attachment(nil), m.Attachments...)

	stored := f.appendMessage(m)
	m.Attachments[0].Name = "changed after AppendMessage"
	stored.Attachments[1].URL = "https://changed.example.com/"
	requireMessages(t, []chat.Message{want}, f.messages(c.ID, chat.MessageQuery{}), "changing the attachments passed to or returned by AppendMessage changed the stored message")

	got := f.messages(c.ID, chat.MessageQuery{})
	got[0].Attachments[0].Size = 1
	requireMessages(t, []chat.Message{want}, f.messages(c.ID, chat.MessageQuery{}), "changing the attachments Messages returned changed the stored message")
}
