package chat_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/advisor"
	"github.com/parleychat/parley/chat"
)

// TestAdvisorConversationsCloseWhenIdle: a conversation left with the
// advisor closes after Config.InactivityTimeout like a queued one, and
// counts as resolved by the advisor; no agent ever got it.
func TestAdvisorConversationsCloseWhenIdle(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	adv, err := advisor.New(advisor.Config{Bot: advisor.BotFunc(func(context.Context, advisor.Question) (advisor.Reply, error) {
		return advisor.Reply{Body: "Parcels arrive in 2 to 3 working days."}, nil
	})})
	require.NoError(t, err)
	f := setup(t, chat.Config{Now: clk.Now, Advisor: adv, InactivityTimeout: 20 * time.Minute})
	f.agent(t, "olga", 0, chat.AgentOnline)
	ctx := t.Context()
	v := f.visitor(t)
	conv, err := f.desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
	require.NoError(t, err)
	_, err = conv.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String()}, Body: "Kiedy dotrze paczka?"})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		c, err := conv.Info(ctx)
		require.NoError(t, err)
		return c.LastSeq == 2
	}, 10*time.Second, 5*time.Millisecond, "the advisor answers")

	clk.Advance(21 * time.Minute)
	require.NoError(t, f.desk.Sweep(ctx))
	c, err := conv.Info(ctx)
	require.NoError(t, err)
	assert.Equal(t, chat.StatusClosed, c.Status, "an idle conversation with the advisor closes")
	assert.Empty(t, c.AgentID)
	m := chat.MetricsOf(c)
	assert.True(t, m.AdvisorResolved)
	assert.False(t, m.HandedOver)
}
