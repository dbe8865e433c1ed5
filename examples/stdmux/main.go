// Command stdmux mounts Parley on the standard library's http.ServeMux in a
// shop that already has its own staff login: a session cookie, checked by a
// middleware that puts the signed-in staff member into the request's context.
// The agents' handler sits behind that middleware, and
// transport.Config.AuthenticateAgent only reads what it found.
//
//	go run ./examples/stdmux
//
// Sign in at /staff/login as olga / demo; the console's endpoints are under
// /staff/chat/.
package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

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
		fmt.Fprintln(os.Stderr, "stdmux:", err)
		os.Exit(1)
	}
	fmt.Printf("Shop: http://%s/  staff login: http://%s/staff/login (olga / demo)\n", ln.Addr(), ln.Addr())
	if err := run(ctx, ln); err != nil {
		fmt.Fprintln(os.Stderr, "stdmux:", err)
		os.Exit(1)
	}
}

// staffMember is a user of the shop's back office.
type staffMember struct {
	ID, Name, Password string
}

// staffDirectory is the shop's list of staff. A real shop reads its users
// table.
var staffDirectory = map[string]staffMember{
	"olga": {ID: "olga", Name: "Olga Nowak", Password: "demo"},
}

// sessions is the shop's session store: session id to staff id.
type sessions struct {
	mu sync.Mutex
	m  map[string]string
}

const sessionCookie = "shop_session"

type staffKey struct{}

// requireStaff is the shop's existing middleware: it lets a request through
// only with a valid session cookie and puts the staff member into the
// request's context.
func (s *sessions) requireStaff(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		if err != nil {
			http.Error(w, "please sign in", http.StatusUnauthorized)
			return
		}
		s.mu.Lock()
		id, ok := s.m[c.Value]
		s.mu.Unlock()
		if !ok {
			http.Error(w, "please sign in", http.StatusUnauthorized)
			return
		}
		ctx := context.WithValue(r.Context(), staffKey{}, staffDirectory[id])
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// login checks the form's credentials and starts a session.
func (s *sessions) login(w http.ResponseWriter, r *http.Request) {
	m, ok := staffDirectory[r.PostFormValue("user")]
	if !ok || subtle.ConstantTimeCompare([]byte(m.Password), []byte(r.PostFormValue("password"))) != 1 {
		http.Error(w, "wrong user or password", http.StatusUnauthorized)
		return
	}
	id := rand.Text()
	s.mu.Lock()
	s.m[id] = m.ID
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/staff/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/staff/chat/", http.StatusSeeOther)
}

// authenticateAgent turns the staff member the middleware found into a
// Parley agent.
func authenticateAgent(r *http.Request) (chat.Agent, error) {
	m, ok := r.Context().Value(staffKey{}).(staffMember)
	if !ok {
		return chat.Agent{}, errors.New("no staff session")
	}
	return chat.Agent{ID: m.ID, Name: m.Name, Capacity: 4}, nil
}

// run serves on ln until ctx is done, then shuts down gracefully.
func run(ctx context.Context, ln net.Listener) error {
	desk, err := chat.NewDesk(chat.Config{Store: memory.New()})
	if err != nil {
		return err
	}
	defer desk.Close(ctx) // on an early return; the shutdown below closes it with a deadline
	// A real shop keeps the secret across restarts and instances; the demo
	// forgets everything on exit anyway.
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

	s := &sessions{m: make(map[string]string)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, `<!doctype html><title>Shop</title><h1>Shop</h1><script src="/chat/widget.js" async></script>`)
	})
	mux.HandleFunc("GET /staff/login", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, `<!doctype html><title>Staff</title><form method="post">
<input name="user" placeholder="user"> <input name="password" type="password" placeholder="password"> <button>Sign in</button></form>`)
	})
	mux.HandleFunc("POST /staff/login", s.login)
	// Visitors need no login; the agents' side goes through the shop's own
	// middleware first.
	mux.Handle("/chat/", http.StripPrefix("/chat", chatServer.VisitorHandler()))
	mux.Handle("/staff/chat/", s.requireStaff(http.StripPrefix("/staff/chat", chatServer.AgentHandler())))

	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The chat connections first: http.Server.Shutdown does not wait for
	// WebSocket or SSE connections.
	_ = chatServer.Shutdown(shutdown)
	err = srv.Shutdown(shutdown)
	return errors.Join(err, desk.Close(shutdown))
}
