package advisor_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/parleychat/parley/advisor"
	"github.com/parleychat/parley/chat"
)

// TestConfig refuses a Config it cannot run with, naming the field.
func TestConfig(t *testing.T) {
	bot := advisor.BotFunc(func(context.Context, advisor.Question) (advisor.Reply, error) { return advisor.Reply{}, nil })
	for field, cfg := range map[string]advisor.Config{
		"Config.Bot":      {},
		"Config.MaxTurns": {Bot: bot, MaxTurns: -1},
		"Config.When":     {Bot: bot, When: 7},
	} {
		_, err := advisor.New(cfg)
		assert.ErrorIs(t, err, chat.ErrInvalid, field)
		assert.ErrorContains(t, err, field)
	}
}

// TestTakes answers first always, or only when nobody could answer live.
func TestTakes(t *testing.T) {
	bot := advisor.BotFunc(func(context.Context, advisor.Question) (advisor.Reply, error) { return advisor.Reply{}, nil })
	always, err := advisor.New(advisor.Config{Bot: bot})
	assert.NoError(t, err)
	unstaffed, err := advisor.New(advisor.Config{Bot: bot, When: advisor.Unstaffed})
	assert.NoError(t, err)
	ctx := t.Context()
	assert.True(t, always.Takes(ctx, chat.ConversationInfo{}, true))
	assert.True(t, always.Takes(ctx, chat.ConversationInfo{}, false))
	assert.False(t, unstaffed.Takes(ctx, chat.ConversationInfo{}, true), "agents are there: the queue")
	assert.True(t, unstaffed.Takes(ctx, chat.ConversationInfo{}, false), "nobody is there: the advisor")
}
