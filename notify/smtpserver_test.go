package notify_test

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"net"
	"strings"
	"sync"
	"testing"
)

// envelope is one message the test server accepted.
type envelope struct {
	From   string   // MAIL FROM address
	To     []string // RCPT TO addresses
	Data   []byte   // the message, dot-unstuffed, with its CRLF line endings
	BareLF bool     // some line of Data ended in LF without CR
	TLS    bool     // the message came over TLS
	Auth   string   // the decoded AUTH PLAIN response, if any
}

// serverOptions change how the test server behaves.
type serverOptions struct {
	// fail maps a command ("MAIL", "RCPT", "DATA", "." for the end of the
	// data, "GREETING") to the reply that refuses it.
	fail map[string]string
	// hang accepts connections and never says anything.
	hang bool
	// auth offers AUTH PLAIN.
	auth bool
	// tls offers STARTTLS with this configuration.
	tls *tls.Config
	// implicitTLS speaks TLS from the first byte with this configuration.
	implicitTLS *tls.Config
}

// smtpServer is a minimal SMTP server on 127.0.0.1 for tests. It speaks
// EHLO, HELO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP and QUIT,
// and records what it accepts.
type smtpServer struct {
	t        testing.TB
	ln       net.Listener
	opts     serverOptions
	accepted chan struct{} // receives once per accepted connection

	mu        sync.Mutex
	envelopes []envelope
	conns     []net.Conn
	wg        sync.WaitGroup
}

// startServer starts a test SMTP server, stopped when the test ends.
func startServer(t testing.TB, opts serverOptions) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{t: t, ln: ln, opts: opts, accepted: make(chan struct{}, 16)}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(s.close)
	return s
}

func (s *smtpServer) Addr() string { return s.ln.Addr().String() }

// Envelopes returns what the server accepted so far.
func (s *smtpServer) Envelopes() []envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]envelope(nil), s.envelopes...)
}

func (s *smtpServer) close() {
	_ = s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *smtpServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		select {
		case s.accepted <- struct{}{}:
		default:
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			if s.opts.implicitTLS != nil {
				tc := tls.Server(c, s.opts.implicitTLS)
				if tc.Handshake() != nil {
					return
				}
				c = tc
			}
			if !s.opts.hang {
				s.session(c, s.opts.implicitTLS != nil)
			}
			// A hanging server waits for the client (or the cleanup) to close.
			_, _ = c.Read(make([]byte, 1))
		}()
	}
}

// session runs one SMTP session on c.
func (s *smtpServer) session(c net.Conn, secure bool) {
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	reply := func(lines ...string) bool {
		for _, l := range lines {
			_, _ = w.WriteString(l + "\r\n")
		}
		return w.Flush() == nil
	}
	failed := func(cmd string) bool {
		if msg, ok := s.opts.fail[cmd]; ok {
			reply(msg)
			return true
		}
		return false
	}
	if failed("GREETING") {
		return
	}
	reply("220 127.0.0.1 test SMTP ready")
	env := envelope{TLS: secure}
	greeted := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			greeted = true
			ext := []string{"250-127.0.0.1 hello " + arg, "250-8BITMIME"}
			if s.opts.auth {
				ext = append(ext, "250-AUTH PLAIN")
			}
			if s.opts.tls != nil && !env.TLS {
				ext = append(ext, "250-STARTTLS")
			}
			ext = append(ext, "250 HELP")
			reply(ext...)
		case "HELO":
			greeted = true
			reply("250 127.0.0.1 hello " + arg)
		case "STARTTLS":
			if s.opts.tls == nil {
				reply("502 5.5.1 not offered")
				continue
			}
			reply("220 2.0.0 go ahead")
			tc := tls.Server(c, s.opts.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			c = tc
			r, w = bufio.NewReader(c), bufio.NewWriter(c)
			env = envelope{TLS: true}
			greeted = false
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			dec, err := base64.StdEncoding.DecodeString(resp)
			if !s.opts.auth || !strings.EqualFold(mech, "PLAIN") || err != nil {
				reply("504 5.5.4 unsupported")
				continue
			}
			env.Auth = string(dec)
			reply("235 2.7.0 authenticated")
		case "MAIL":
			switch {
			case !greeted:
				reply("503 5.5.1 say hello first")
			case failed("MAIL"):
			case !strings.HasPrefix(strings.ToUpper(arg), "FROM:<"):
				reply("501 5.5.4 syntax")
			default:
				env.From = between(arg, "<", ">")
				env.To, env.Data = nil, nil
				reply("250 2.1.0 ok")
			}
		case "RCPT":
			switch {
			case env.From == "":
				reply("503 5.5.1 need MAIL first")
			case failed("RCPT"):
			default:
				env.To = append(env.To, between(arg, "<", ">"))
				reply("250 2.1.5 ok")
			}
		case "DATA":
			switch {
			case len(env.To) == 0:
				reply("503 5.5.1 need RCPT first")
			case failed("DATA"):
			default:
				reply("354 end with <CRLF>.<CRLF>")
				if !s.readData(r, &env) {
					return
				}
				if failed(".") {
					env = envelope{TLS: env.TLS}
					continue
				}
				s.mu.Lock()
				s.envelopes = append(s.envelopes, env)
				s.mu.Unlock()
				env = envelope{TLS: env.TLS, Auth: env.Auth}
				reply("250 2.0.0 queued")
			}
		case "RSET":
			env = envelope{TLS: env.TLS, Auth: env.Auth}
			reply("250 2.0.0 ok")
		case "NOOP":
			reply("250 2.0.0 ok")
		case "QUIT":
			reply("221 2.0.0 bye")
			return
		default:
			reply("502 5.5.2 unknown command")
		}
	}
}

// readData reads the message after DATA up to the line ".", undoing the
// dot-stuffing, into env.Data.
func (s *smtpServer) readData(r *bufio.Reader, env *envelope) bool {
	var data []byte
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return false
		}
		if !strings.HasSuffix(line, "\r\n") {
			env.BareLF = true
		}
		if line == ".\r\n" || line == ".\n" {
			env.Data = data
			return true
		}
		line = strings.TrimPrefix(line, ".") // dot-unstuffing
		data = append(data, line...)
	}
}

func between(s, open, close string) string {
	_, s, _ = strings.Cut(s, open)
	s, _, _ = strings.Cut(s, close)
	return s
}
