package brokertest_test

import (
	"testing"

	"github.com/parleychat/parley/broker/brokertest"
	"github.com/parleychat/parley/chat"
)

// TestLocalBroker runs the suite on chat.LocalBroker: every broker the
// suite asks for is the one LocalBroker, as every Desk of one process
// shares one.
func TestLocalBroker(t *testing.T) {
	b := &chat.LocalBroker{}
	brokertest.Run(t, func(testing.TB) chat.Broker { return b }, brokertest.Capabilities{})
}

func BenchmarkLocalBroker(b *testing.B) {
	lb := &chat.LocalBroker{}
	brokertest.Benchmark(b, func(testing.TB) chat.Broker { return lb })
}
