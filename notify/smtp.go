package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// DefaultTimeout bounds one Notify call when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// TLSMode says how an SMTP connection is protected.
type TLSMode int

const (
	// StartTLS, the default, upgrades the connection with STARTTLS and
	// refuses to send when the server does not offer it, unless the server
	// is on a loopback address (a relay on the same machine, or a test
	// server), where plain text is allowed.
	StartTLS TLSMode = iota
	// ImplicitTLS speaks TLS from the first byte, as on port 465.
	ImplicitTLS
	// InsecureAllowPlainText uses STARTTLS when the server offers it and
	// otherwise sends in plain text, to any server. Mail, and credentials
	// given in Auth, can then be read on the way.
	InsecureAllowPlainText
)

// Config configures an SMTP notifier. Zero fields mean the default
// documented on them.
type Config struct {
	// Addr is the mail server's host:port, such as "smtp.example.com:587".
	// Required.
	Addr string
	// From is the sender. Address is required; an empty Name means
	// ShopName.
	From mail.Address
	// Auth authenticates to the server after STARTTLS. Nil means no
	// authentication. smtp.PlainAuth sends the password only over TLS or to
	// localhost.
	Auth smtp.Auth
	// ShopName names the shop in the texts when Notice.ShopName is empty.
	// Empty means From.Name; one of the two is required.
	ShopName string
	// TLS says how the connection is protected; the zero value is StartTLS.
	TLS TLSMode
	// TLSConfig is used for STARTTLS and ImplicitTLS. Nil means the
	// defaults with ServerName set to the host of Addr. It is cloned.
	TLSConfig *tls.Config
	// Timeout bounds one Notify call, from dialling to QUIT. Zero means
	// DefaultTimeout. A context deadline that comes sooner wins.
	Timeout time.Duration
	// LocalName is the host name sent with EHLO. Empty means "localhost".
	LocalName string
	// Now returns the current time, for the Date header. Nil means time.Now.
	Now func() time.Time
	// ReplyAddress returns the address a visitor's answer to a notice
	// about a conversation goes to, set as its Reply-To: the offline
	// acknowledgement, replies and transcripts. mailreply.Addresses'
	// Address method fits, and its Receiver appends what comes back to
	// the conversation. Nil means no Reply-To: answers go to From.
	ReplyAddress func(conversationID uuid.UUID) string
}

// SMTP is a chat.Notifier that sends email through an SMTP server with
// net/smtp. It opens one connection per notice. It is safe for concurrent
// use.
type SMTP struct {
	addr, host string
	from       mail.Address
	auth       smtp.Auth
	shop       string
	tlsMode    TLSMode
	tlsConfig  *tls.Config
	timeout    time.Duration
	localName  string
	now        func() time.Time
	replyTo    func(uuid.UUID) string
}

var _ chat.Notifier = (*SMTP)(nil)

// New returns an SMTP notifier for cfg. It does no I/O. An invalid cfg
// returns an error wrapping chat.ErrInvalid that names the field.
func New(cfg Config) (*SMTP, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil || host == "" {
		return nil, invalid("Config.Addr %q is not host:port", cfg.Addr)
	}
	if _, err := mail.ParseAddress(cfg.From.Address); err != nil || cfg.From.Address == "" {
		return nil, invalid("Config.From.Address %q is not an email address", cfg.From.Address)
	}
	if cfg.TLS < StartTLS || cfg.TLS > InsecureAllowPlainText {
		return nil, invalid("Config.TLS %d is not a TLSMode", cfg.TLS)
	}
	if cfg.Timeout < 0 {
		return nil, invalid("Config.Timeout is negative")
	}
	if strings.ContainsAny(cfg.LocalName, " \r\n") {
		return nil, invalid("Config.LocalName %q is not a host name", cfg.LocalName)
	}
	s := &SMTP{
		addr:      cfg.Addr,
		host:      host,
		from:      cfg.From,
		auth:      cfg.Auth,
		shop:      cfg.ShopName,
		tlsMode:   cfg.TLS,
		timeout:   cfg.Timeout,
		localName: cfg.LocalName,
		now:       cfg.Now,
		replyTo:   cfg.ReplyAddress,
	}
	if s.shop == "" {
		s.shop = cfg.From.Name
	}
	if s.shop == "" {
		return nil, invalid("Config.ShopName is required when Config.From.Name is empty")
	}
	if s.from.Name == "" {
		s.from.Name = s.shop
	}
	if cfg.TLSConfig != nil {
		s.tlsConfig = cfg.TLSConfig.Clone()
	} else {
		s.tlsConfig = &tls.Config{}
	}
	if s.tlsConfig.ServerName == "" {
		s.tlsConfig.ServerName = host
	}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	if s.localName == "" {
		s.localName = "localhost"
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// invalid returns an error wrapping chat.ErrInvalid.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: notify: "+format, append([]any{chat.ErrInvalid}, args...)...)
}

// Notify composes n (see Compose) and sends it to n.To.Email. A notice that
// cannot be composed, such as one to a visitor without an email address,
// returns an error wrapping chat.ErrInvalid and sends nothing. A refusal by
// the server returns an error wrapping its *textproto.Error, whose Code
// says whether it is temporary (4xx) or permanent (5xx). When ctx ends
// first, the connection is abandoned and the error wraps ctx.Err().
func (s *SMTP) Notify(ctx context.Context, n chat.Notice) error {
	msg, err := s.Compose(n)
	if err != nil {
		return err
	}
	to, _ := mail.ParseAddress(n.To.Email) // checked by Compose
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.send(ctx, to.Address, msg); err != nil {
		ctxErr := ctx.Err()
		if deadline, _ := ctx.Deadline(); ctxErr == nil && !time.Now().Before(deadline) {
			ctxErr = context.DeadlineExceeded // the connection's deadline fired first
		}
		if ctxErr != nil && !errors.Is(err, ctxErr) {
			return fmt.Errorf("notify: sending to %s: %w (%w)", s.addr, ctxErr, err)
		}
		return fmt.Errorf("notify: sending to %s: %w", s.addr, err)
	}
	return nil
}

// send delivers msg to rcpt in one SMTP session.
func (s *SMTP) send(ctx context.Context, rcpt string, msg []byte) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	loopback := isLoopback(conn.RemoteAddr())
	// Notify always sets a deadline; the connection keeps it even if the
	// AfterFunc below is late. When ctx ends, by cancellation or deadline,
	// any read or write in progress fails at once.
	if deadline, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(deadline); err != nil {
			return err
		}
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if s.tlsMode == ImplicitTLS {
		tc := tls.Client(conn, s.tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("TLS handshake: %w", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello(s.localName); err != nil {
		return err
	}
	if s.tlsMode != ImplicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(s.tlsConfig); err != nil {
				return fmt.Errorf("STARTTLS: %w", err)
			}
		} else if s.tlsMode == StartTLS && !loopback {
			return fmt.Errorf("the server does not offer STARTTLS; refusing to send in plain text (see TLSMode)")
		}
	}
	if s.auth != nil {
		if ok, _ := c.Extension("AUTH"); !ok {
			return errors.New("the server does not offer AUTH, and Config.Auth is set")
		}
		if err := c.Auth(s.auth); err != nil {
			return fmt.Errorf("AUTH: %w", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	if err := c.Rcpt(rcpt); err != nil {
		return fmt.Errorf("RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	// The message is accepted; a failing QUIT does not change that.
	_ = c.Quit()
	return nil
}

// isLoopback reports whether a is a loopback address.
func isLoopback(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
