// Command shop is a small demo shop with Parley mounted the way a real shop
// mounts it: the visitors' handler under /chat/, the agents' handler under
// /staff/chat/ behind the shop's own login, everything stored in an SQLite
// file.
//
//	go run ./examples/shop
//
// It prints the shop's URL and the demo agent's credentials, and shuts down
// cleanly on Ctrl-C.
package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/sqlstore"
	"github.com/parleychat/parley/transport"
)

// demoAgent is the staff login the demo prints at start.
var demoAgent = struct{ user, password, name string }{"olga", "demo", "Olga Nowak"}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	data := flag.String("data", "parley-data", "directory for the SQLite database and the secret")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, *data, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "shop:", err)
		os.Exit(1)
	}
}

// run serves the shop until ctx is done.
func run(ctx context.Context, addr, dataDir string, out io.Writer) error {
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return err
	}
	secret, err := loadSecret(filepath.Join(dataDir, "secret"))
	if err != nil {
		return err
	}
	store, err := sqlstore.OpenSQLite(ctx, filepath.Join(dataDir, "parley.db"), sqlstore.Config{Logger: log})
	if err != nil {
		return err
	}
	defer store.Close()
	desk, err := chat.NewDesk(chat.Config{Store: store, Logger: log})
	if err != nil {
		return err
	}
	defer desk.Close()
	chatServer, err := transport.New(transport.Config{
		Desk:              desk,
		Secret:            secret,
		AuthenticateAgent: authenticateAgent,
		Logger:            log,
	})
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.Handle("/chat/", http.StripPrefix("/chat", chatServer.VisitorHandler()))
	mux.Handle("/staff/chat/", http.StripPrefix("/staff/chat", chatServer.AgentHandler()))
	mux.HandleFunc("GET /{$}", home)

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(out, "Shop:           http://%s/\n", ln.Addr())
	fmt.Fprintf(out, "Chat endpoints: ws://%s/chat/ws (visitors), ws://%s/staff/chat/ws (agents)\n", ln.Addr(), ln.Addr())
	fmt.Fprintf(out, "Agent login:    %s / %s\n", demoAgent.user, demoAgent.password)
	fmt.Fprintln(out, "Press Ctrl-C to stop.")

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Chat connections first: they are told to reconnect and nothing in
	// flight is lost; then the plain HTTP server.
	_ = chatServer.Shutdown(shutdown)
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(out, "Stopped.")
	return nil
}

// authenticateAgent is the shop's own staff login: HTTP Basic
// authentication against the demo credentials. A real shop reads its
// session cookie here.
func authenticateAgent(r *http.Request) (chat.Agent, error) {
	user, password, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(user), []byte(demoAgent.user)) != 1 ||
		subtle.ConstantTimeCompare([]byte(password), []byte(demoAgent.password)) != 1 {
		return chat.Agent{}, errors.New("not logged in")
	}
	return chat.Agent{ID: demoAgent.user, Name: demoAgent.name, Capacity: 5}, nil
}

// loadSecret reads the signing secret, creating it on first run so that
// visitors keep their conversations across restarts.
func loadSecret(path string) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil && len(b) >= transport.MinSecretBytes {
		return b, nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return b, os.WriteFile(path, b, 0o600)
}

func home(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Demo shop</title></head>
<body>
<h1>Demo shop</h1>
<p>Parley is mounted on this shop: visitors connect to <code>/chat/ws</code>,
staff to <code>/staff/chat/ws</code>. The protocol is described in docs/protocol.md.</p>
</body></html>
`)
}
