// Command chi mounts Parley on a github.com/go-chi/chi router. The shop's back
// office is already guarded by chi's BasicAuth middleware; the agents' handler
// is mounted inside that group, so it inherits the login, and
// transport.Config.AuthenticateAgent maps the signed-in user to an agent.
//
//	go run ./examples/chi
//
// The agents' endpoints are under /admin/chat/, for olga / demo.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
	"github.com/parleychat/parley/transport"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chi:", err)
		os.Exit(1)
	}
	fmt.Printf("Shop: http://%s/  back office: http://%s/admin/ (olga / demo)\n", ln.Addr(), ln.Addr())
	if err := run(ctx, ln); err != nil {
		fmt.Fprintln(os.Stderr, "chi:", err)
		os.Exit(1)
	}
}

// backOffice is the shop's staff, as its BasicAuth middleware knows them,
// and their display names.
var (
	backOffice = map[string]string{"olga": "demo"}
	staffNames = map[string]string{"olga": "Olga Nowak"}
)

// authenticateAgent runs after the BasicAuth middleware has accepted the
// request, so the user name it reads is checked already.
func authenticateAgent(r *http.Request) (chat.Agent, error) {
	user, _, ok := r.BasicAuth()
	if !ok || staffNames[user] == "" {
		return chat.Agent{}, errors.New("not a member of staff")
	}
	return chat.Agent{ID: user, Name: staffNames[user], Capacity: 4}, nil
}

// newRouter builds the shop's routes with Parley mounted in them.
func newRouter(chatServer *transport.Server) http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.Recoverer)
	r.Get("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, `<!doctype html><title>Shop</title><h1>Shop</h1><script src="/chat/widget.js" async></script>`)
	})
	// chi passes a mounted http.Handler the full path, so StripPrefix
	// removes the mount point as on http.ServeMux.
	r.Mount("/chat", http.StripPrefix("/chat", chatServer.VisitorHandler()))
	r.Route("/admin", func(r chi.Router) {
		r.Use(middleware.BasicAuth("back office", backOffice))
		r.Get("/", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, "back office\n")
		})
		r.Mount("/chat", http.StripPrefix("/admin/chat", chatServer.AgentHandler()))
	})
	return r
}

// run serves on ln until ctx is done, then shuts down gracefully.
func run(ctx context.Context, ln net.Listener) error {
	desk, err := chat.NewDesk(chat.Config{Store: memory.New()})
	if err != nil {
		return err
	}
	defer desk.Close(ctx) // on an early return; the shutdown below closes it with a deadline
	// A real shop keeps the secret across restarts and instances.
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	chatServer, err := transport.New(transport.Config{
		Desk:              desk,
		Secret:            secret,
		AuthenticateAgent: authenticateAgent,
	})
	if err != nil {
		return err
	}

	srv := &http.Server{Handler: newRouter(chatServer), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = chatServer.Shutdown(shutdown)
	err = srv.Shutdown(shutdown)
	return errors.Join(err, desk.Close(shutdown))
}
