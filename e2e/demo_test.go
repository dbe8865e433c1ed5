package e2e_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/internal/pgtest"
)

// TestDemoShop does what the README tells a new user to do: it builds and
// starts the demo shop with no flags, reads the shop's address, the
// console's address and the staff login from what the shop prints, opens a
// product page as a customer and the console as staff, and holds a chat
// between the two. Then it stops the shop with an interrupt, as Ctrl-C
// does, and expects a clean exit.
func TestDemoShop(t *testing.T) {
	if noBrowser != "" {
		t.Skip(noBrowser)
	}
	dir := t.TempDir()
	demo := startDemoShop(t, buildDemoShop(t), dir) // its SQLite file and secret go in dir, as in a fresh clone
	shopURL, consoleURL := demo.printed["Shop"], demo.printed["Staff console"]

	s := &shop{t: t}
	agent := demo.staffTab(s)
	agent.open(consoleURL)
	agent.until("the console is connected", `document.getElementById("me-name").textContent !== ""`)

	// A customer opens the shop and asks a question in the widget.
	customer := s.newTab()
	customer.open(shopURL)
	customer.widgetReady()
	chatAcross(customer, agent)
	demo.interrupt(t)
}

// TestDemoShopTwoInstances runs the demo as two processes, as the README
// says to run several instances: one PostgreSQL database, one Redis
// broker, one data directory for the secret. A customer asks on instance
// A, the agent's console on instance B gets the chat and replies, and the
// customer's widget shows the reply. Both stop cleanly on an interrupt.
func TestDemoShopTwoInstances(t *testing.T) {
	if noBrowser != "" {
		t.Skip(noBrowser)
	}
	redisURL := os.Getenv("PARLEY_TEST_REDIS")
	if redisURL == "" {
		t.Skip("PARLEY_TEST_REDIS is not set (e.g. redis://127.0.0.1:6379/0)")
	}
	dsn := pgtest.Schema(t, "e2e_")
	bin := buildDemoShop(t)
	dir := t.TempDir()
	args := []string{"-store", "postgres", "-dsn", dsn, "-broker", redisURL, "-broker-prefix", "e2e" + chat.NewID().String()[24:]}
	a := startDemoShop(t, bin, dir, args...)
	b := startDemoShop(t, bin, dir, args...)
	require.NotEqual(t, a.printed["Shop"], b.printed["Shop"])
	require.Equal(t, redisURL, a.printed["Broker"], "the shop says which broker it uses")

	s := &shop{t: t}
	agent := b.staffTab(s)
	agent.open(b.printed["Staff console"])
	agent.until("the console is connected", `document.getElementById("me-name").textContent !== ""`)
	customer := s.newTab()
	customer.open(a.printed["Shop"])
	customer.widgetReady()
	chatAcross(customer, agent)
	a.interrupt(t)
	b.interrupt(t)
}

// chatAcross has the customer ask in the widget and the agent answer in
// the console, and checks that each sees the other's message.
func chatAcross(customer, agent *tab) {
	customer.t.Helper()
	customer.ask("Is the copper kettle in stock?")
	agent.until("the chat reaches the console", cAll("#mine .conv-item")+`.length === 1`)
	agent.click(`document.querySelector("#mine .conv-item button")`)
	agent.until("the question shows", cAll("#log .msg.visitor p")+`.includes("Is the copper kettle in stock?")`)
	agent.reply("Yes, three left.")
	customer.until("the answer reaches the widget", wAll(".msg.agent p")+`.includes("Yes, three left.")`)
}

// buildDemoShop builds the demo shop and returns the binary's path.
func buildDemoShop(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "shop")
	build := exec.Command("go", "build", "-o", bin, "github.com/parleychat/parley/examples/shop")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "building the demo shop: %s", out)
	return bin
}

// demoShop is a running demo shop process.
type demoShop struct {
	cmd    *exec.Cmd
	exited chan error
	// printed is what the shop printed at start, "key: value" lines by
	// key; a line without a colon is its own key.
	printed map[string]string
}

// startDemoShop starts the demo shop binary in dir on a free port with
// args, and waits until it has printed that it is ready. It is killed at
// the end of the test unless it has exited.
func startDemoShop(t *testing.T, bin, dir string, args ...string) *demoShop {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	cmd.Dir = dir
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	d := &demoShop{cmd: cmd, exited: make(chan error, 1), printed: map[string]string{}}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-d.exited
		}
	})

	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		d.exited <- cmd.Wait()
	}()
	deadline := time.After(wait)
	for d.printed["Press Ctrl-C to stop."] == "" {
		select {
		case l, ok := <-lines:
			require.True(t, ok, "the shop exited while starting: %v", d.printed)
			key, value, _ := strings.Cut(l, ": ")
			d.printed[strings.TrimSpace(key)] = strings.TrimSpace(value)
			if l == "Press Ctrl-C to stop." {
				d.printed[l] = "yes"
			}
		case <-deadline:
			t.Fatalf("the shop did not finish starting within %s; printed %v", wait, d.printed)
		}
	}
	require.Regexp(t, `^http://127\.0\.0\.1:\d+/$`, d.printed["Shop"])
	require.Regexp(t, `^http://127\.0\.0\.1:\d+/staff/chat/$`, d.printed["Staff console"])
	return d
}

// staffTab opens a tab that logs in to the console with the staff login
// the shop printed, as the browser's login prompt would send it.
func (d *demoShop) staffTab(s *shop) *tab {
	s.t.Helper()
	login := regexp.MustCompile(`^(\S+) / (\S+)$`).FindStringSubmatch(d.printed["Staff login"])
	require.NotNil(s.t, login, "the staff login is printed as user / password: %q", d.printed["Staff login"])
	agent := s.newTab()
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(login[1]+":"+login[2]))
	agent.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
			Headers: network.Headers{"Authorization": auth}})
		return err
	}))
	return agent
}

// interrupt stops the shop as Ctrl-C does and expects a clean exit.
func (d *demoShop) interrupt(t *testing.T) {
	t.Helper()
	require.NoError(t, d.cmd.Process.Signal(syscall.SIGINT))
	select {
	case err := <-d.exited:
		require.NoError(t, err, "the shop exits cleanly on an interrupt")
	case <-time.After(wait):
		t.Fatal("the shop did not stop within the deadline after an interrupt")
	}
}
