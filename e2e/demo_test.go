package e2e_test

import (
	"bufio"
	"context"
	"encoding/base64"
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
	bin := filepath.Join(dir, "shop")
	build := exec.Command("go", "build", "-o", bin, "github.com/parleychat/parley/examples/shop")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "building the demo shop: %s", out)

	shopCmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	shopCmd.Dir = dir // its SQLite file and secret go here, as in a fresh clone
	stdout, err := shopCmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, shopCmd.Start())
	exited := make(chan error, 1)
	t.Cleanup(func() {
		if shopCmd.ProcessState == nil {
			_ = shopCmd.Process.Kill()
			<-exited
		}
	})

	// What the shop prints at start.
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		exited <- shopCmd.Wait()
	}()
	printed := map[string]string{}
	deadline := time.After(wait)
	for printed["Press Ctrl-C to stop."] == "" {
		select {
		case l, ok := <-lines:
			require.True(t, ok, "the shop exited while starting: %v", printed)
			key, value, _ := strings.Cut(l, ":")
			printed[strings.TrimSpace(key)] = strings.TrimSpace(value)
			if l == "Press Ctrl-C to stop." {
				printed[l] = "yes"
			}
		case <-deadline:
			t.Fatalf("the shop did not finish starting within %s; printed %v", wait, printed)
		}
	}
	shopURL, consoleURL := printed["Shop"], printed["Staff console"]
	require.Regexp(t, `^http://127\.0\.0\.1:\d+/$`, shopURL)
	require.Regexp(t, `^http://127\.0\.0\.1:\d+/staff/chat/$`, consoleURL)
	login := regexp.MustCompile(`^(\S+) / (\S+)$`).FindStringSubmatch(printed["Staff login"])
	require.NotNil(t, login, "the staff login is printed as user / password: %q", printed["Staff login"])

	s := &shop{t: t}
	// The staff member logs in with the printed credentials, as the
	// browser's login prompt would send them.
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
	agent.open(consoleURL)
	agent.until("the console is connected", `document.getElementById("me-name").textContent !== ""`)

	// A customer opens the shop and asks a question in the widget.
	customer := s.newTab()
	customer.open(shopURL)
	customer.widgetReady()
	customer.ask("Is the copper kettle in stock?")

	agent.until("the chat reaches the console", cAll("#mine .conv-item")+`.length === 1`)
	agent.click(`document.querySelector("#mine .conv-item button")`)
	agent.until("the question shows", cAll("#log .msg.visitor p")+`.includes("Is the copper kettle in stock?")`)
	agent.reply("Yes, three left.")
	customer.until("the answer reaches the widget", wAll(".msg.agent p")+`.includes("Yes, three left.")`)

	// Ctrl-C stops it cleanly.
	require.NoError(t, shopCmd.Process.Signal(syscall.SIGINT))
	select {
	case err := <-exited:
		require.NoError(t, err, "the shop exits cleanly on an interrupt")
	case <-time.After(wait):
		t.Fatal("the shop did not stop within the deadline after an interrupt")
	}
}
