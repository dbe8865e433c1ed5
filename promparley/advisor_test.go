package promparley_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/advisor"
	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/promparley"
	"github.com/parleychat/parley/store/memory"
)

// TestAdvisorOutcomes counts, as they close, the conversations the
// advisor resolved and those it handed over, by reason.
func TestAdvisorOutcomes(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := promparley.New(promparley.Config{Instance: "web-1", Registerer: reg})
	require.NoError(t, err)
	adv, err := advisor.New(advisor.Config{Bot: advisor.BotFunc(func(_ context.Context, q advisor.Question) (advisor.Reply, error) {
		if q.Text == "Where is my order?" {
			return advisor.Reply{Body: "On its way."}, nil
		}
		return advisor.Reply{}, advisor.ErrNoAnswer
	})})
	require.NoError(t, err)
	store := memory.New()
	desk, err := chat.NewDesk(chat.Config{Store: store, Broker: m.Broker(nil), Advisor: adv})
	require.NoError(t, err)
	t.Cleanup(func() { _ = desk.Close(context.Background()) })
	ctx := t.Context()

	chatUntil := func(question string, done func(chat.ConversationInfo) bool) chat.Conversation {
		v, err := desk.SaveVisitor(ctx, chat.Visitor{})
		require.NoError(t, err)
		conv, err := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
		require.NoError(t, err)
		_, err = conv.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String()}, Body: question})
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			c, err := conv.Info(ctx)
			require.NoError(t, err)
			return done(c)
		}, 10*time.Second, 5*time.Millisecond)
		_, err = conv.Close(ctx)
		require.NoError(t, err)
		return conv
	}
	chatUntil("Where is my order?", func(c chat.ConversationInfo) bool { return c.LastSeq == 2 }) // answered
	chatUntil("Do you sell gift cards?", func(c chat.ConversationInfo) bool { return c.Handoff != "" })

	expect(t, gather(t, reg), "web-1", []want{
		{"parley_advisor_conversations_total", []string{"outcome", "resolved"}, 1},
		{"parley_advisor_conversations_total", []string{"outcome", "unknown"}, 1},
		{"parley_conversations_closed_total", nil, 2},
	})
}
