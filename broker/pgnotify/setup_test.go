package pgnotify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

// testDSN returns the PostgreSQL the tests run against, or skips the test.
func testDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv("PARLEY_TEST_POSTGRES")
	if dsn == "" {
		tb.Skip("set PARLEY_TEST_POSTGRES to a PostgreSQL URL, such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable, to run the PostgreSQL broker tests")
	}
	return dsn
}

// randomName returns a fresh lower-case name, so that tests running at once
// use channels and tables of their own.
func randomName(tb testing.TB) string {
	tb.Helper()
	var b [6]byte
	_, err := rand.Read(b[:])
	require.NoError(tb, err)
	return "t" + hex.EncodeToString(b[:])
}

// setup is what a test needs: a Config with a prefix of its own, and an
// admin connection to look at the database from outside the brokers.
type setup struct {
	cfg   Config
	admin *pgx.Conn
}

func newSetup(tb testing.TB) setup {
	tb.Helper()
	dsn := testDSN(tb)
	name := randomName(tb)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn)
	require.NoError(tb, err)
	tb.Cleanup(func() {
		_, _ = admin.Exec(ctx, `DROP TABLE IF EXISTS `+pgx.Identifier{name + "_broker_events"}.Sanitize())
		_ = admin.Close(ctx)
	})
	return setup{
		cfg: Config{
			ConnString:      dsn,
			Prefix:          name + "_",
			ApplicationName: name,
			ReconnectMin:    20 * time.Millisecond,
			ReconnectMax:    500 * time.Millisecond,
		},
		admin: admin,
	}
}

// broker returns a Broker over s's Config, changed by edit if not nil, that
// is closed when the test ends.
func (s setup) broker(tb testing.TB, edit func(*Config)) *Broker {
	tb.Helper()
	cfg := s.cfg
	if edit != nil {
		edit(&cfg)
	}
	b, err := New(cfg)
	require.NoError(tb, err)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(tb, b.Close(ctx))
	})
	return b
}

// inbox collects the events a subscription delivers.
type inbox struct {
	c chan chat.Event
}

// subscribe subscribes to b with a buffered inbox, and stops when the test
// ends.
func subscribe(tb testing.TB, b *Broker) *inbox {
	tb.Helper()
	in := &inbox{c: make(chan chat.Event, 4096)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stop, err := b.Subscribe(ctx, func(e chat.Event) { in.c <- e })
	require.NoError(tb, err)
	tb.Cleanup(stop)
	return in
}

// next returns the next event, failing the test after a deadline.
func (in *inbox) next(tb testing.TB) chat.Event {
	tb.Helper()
	select {
	case e := <-in.c:
		return e
	case <-time.After(10 * time.Second):
		tb.Fatal("no event within 10s")
		return chat.Event{}
	}
}

// publish publishes e and fails the test on an error.
func publish(tb testing.TB, b *Broker, e chat.Event) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(tb, b.Publish(ctx, e))
}
