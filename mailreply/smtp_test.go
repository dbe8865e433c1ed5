package mailreply_test

import (
	"context"
	"errors"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/mailreply"
)

// serveSMTP is the small SMTP server a shop could run for its reply
// domain: it speaks just enough SMTP for a mail client or relay, and hands
// each message to Deliver, answering 550 to what Permanent calls refused
// for good and 451 to the rest.
func serveSMTP(t *testing.T, r *mailreply.Receiver) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go session(r, conn)
		}
	}()
	return ln.Addr().String()
}

func session(r *mailreply.Receiver, conn net.Conn) {
	defer conn.Close()
	c := textproto.NewConn(conn)
	_ = c.PrintfLine("220 reply.shop.example ESMTP")
	var from string
	var to []string
	for {
		line, err := c.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			_ = c.PrintfLine("250 reply.shop.example")
		case "MAIL":
			from, to = strings.Trim(arg[len("FROM:"):], "<>"), nil
			_ = c.PrintfLine("250 OK")
		case "RCPT":
			to = append(to, strings.Trim(arg[len("TO:"):], "<>"))
			_ = c.PrintfLine("250 OK")
		case "DATA":
			_ = c.PrintfLine("354 go on")
			err := r.Deliver(context.Background(), from, to, c.DotReader())
			switch {
			case err == nil:
				_ = c.PrintfLine("250 stored")
			case mailreply.Permanent(err):
				_ = c.PrintfLine("550 %s", strings.ReplaceAll(err.Error(), "\n", " "))
			default:
				_ = c.PrintfLine("451 try again later")
			}
		case "QUIT":
			_ = c.PrintfLine("221 bye")
			return
		default:
			_ = c.PrintfLine("250 OK")
		}
	}
}

// TestSMTP: a reply sent over SMTP, with the reply address only in the
// envelope, reaches the conversation; a forged one is refused with 550.
func TestSMTP(t *testing.T) {
	s := newSetup(t)
	conv := s.conversation(t, "ivan@example.ru")
	addr := serveSMTP(t, s.receiver)
	raw := email(t, "russian-base64.eml", "shop@shop.example")
	require.NoError(t, smtp.SendMail(addr, nil, "ivan@example.ru", []string{s.addresses.Address(conv.ID())}, raw))
	assert.Equal(t, []string{"Здравствуйте!\n\nПодскажите, пожалуйста, когда придёт мой заказ номер 1234?\n\nСпасибо,\nИван"},
		visitorMessages(t, conv))

	forged := strings.Replace(s.addresses.Address(conv.ID()), "reply+", "reply+a", 1)
	err := smtp.SendMail(addr, nil, "ivan@example.ru", []string{forged}, raw)
	var refused *textproto.Error
	require.True(t, errors.As(err, &refused), "%v", err)
	assert.Equal(t, 550, refused.Code)
	assert.Contains(t, refused.Msg, "not signed by this shop")
	assert.Len(t, visitorMessages(t, conv), 1)
}
