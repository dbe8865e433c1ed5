package memory_test

import (
	"testing"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
	"github.com/parleychat/parley/store/storetest"
)

func TestConformance(t *testing.T) {
	shared := memory.New()
	t.Run("Shared", func(t *testing.T) {
		storetest.Run(t, func(*testing.T) chat.Store { return shared })
	})
	t.Run("PerCase", func(t *testing.T) {
		storetest.Run(t, func(*testing.T) chat.Store { return memory.New() })
	})
}

func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(*testing.B) chat.Store { return memory.New() })
}
