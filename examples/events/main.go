// Command events shows the shop's Go code reacting to chat events: a bot
// that watches every conversation and, when a customer asks about one of
// their orders by number, posts the order's status into the conversation.
//
//	go run ./examples/events
//
// It serves the chat on the address given; the bot answers questions such as
// "Where is my order 1042?" from a logged-in customer.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"syscall"
	"time"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
	"github.com/parleychat/parley/transport"
)

// Order is what the shop's order system knows about one order.
type Order struct {
	Number     string
	CustomerID string
	Status     string
}

// OrderBook finds orders by number. A real shop queries its database.
type OrderBook map[string]Order

// orderNumber finds an order number in a message: "order 1042",
// "order #1042", "order no. 1042".
var orderNumber = regexp.MustCompile(`(?i)\border\b\D{0,12}?(\d{4,10})\b`)

// botAuthor is who the bot's messages are from.
var botAuthor = chat.Author{Kind: chat.AuthorBot, Name: "Order status"}

// reply returns the bot's answer to a message from visitor v, or "" when the
// message does not ask about an order. Only the customer's own orders are
// disclosed.
func (b OrderBook) reply(v chat.Visitor, body string) string {
	m := orderNumber.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	if v.CustomerID == "" {
		return fmt.Sprintf("Please sign in to the shop so that I can look up order %s for you.", m[1])
	}
	o, ok := b[m[1]]
	if !ok || o.CustomerID != v.CustomerID {
		return fmt.Sprintf("I cannot find order %s on your account. An agent will help you shortly.", m[1])
	}
	return fmt.Sprintf("Order %s: %s.", o.Number, o.Status)
}

// startOrderBot subscribes to every event of desk and answers order
// questions until ctx is done or the Desk closes. It returns once the
// subscription is in place, so no message posted after it is missed; wait
// returns why the bot stopped.
func startOrderBot(ctx context.Context, desk *chat.Desk, orders OrderBook, log *slog.Logger) (wait func() error, err error) {
	// A larger buffer than the default: the bot reads in bursts.
	sub, err := desk.SubscribeBuffer(ctx, chat.TopicAll, 4096)
	if err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() {
		for {
			for e := range sub.Events() {
				if e.Type != chat.EventMessage || e.Message.Author.Kind != chat.AuthorVisitor {
					continue // the bot's own messages come back as events too
				}
				if err := answer(ctx, desk, orders, e.Message); err != nil {
					log.ErrorContext(ctx, "order bot", "conversation", e.ConversationID, "err", err)
				}
			}
			if !errors.Is(sub.Err(), chat.ErrSlowConsumer) {
				done <- sub.Err()
				return
			}
			// The bot fell behind and was cut off. Questions asked in the
			// meantime go unanswered, which is acceptable for a bot: an
			// agent still sees them.
			log.WarnContext(ctx, "order bot fell behind; resubscribing")
			if sub, err = desk.SubscribeBuffer(ctx, chat.TopicAll, 4096); err != nil {
				done <- err
				return
			}
		}
	}()
	return func() error { return <-done }, nil
}

// answer posts the bot's reply to m, if it has one.
func answer(ctx context.Context, desk *chat.Desk, orders OrderBook, m *chat.Message) error {
	conv, err := desk.Conversation(ctx, m.ConversationID)
	if err != nil {
		return err
	}
	info, err := conv.Info(ctx)
	if err != nil {
		return err
	}
	v, err := desk.Visitor(ctx, info.VisitorID)
	if err != nil {
		return err
	}
	body := orders.reply(v, m.Body)
	if body == "" {
		return nil
	}
	_, err = conv.Post(ctx, chat.Message{
		Author: botAuthor,
		Body:   body,
		// Should the same event ever be handled twice, the answer is still
		// stored once.
		IdempotencyKey: "order-bot:" + m.ID.String(),
	})
	if errors.Is(err, chat.ErrClosed) {
		return nil // the visitor closed the chat meanwhile
	}
	return err
}

// demoOrders are the orders of the demo customer c-1.
var demoOrders = OrderBook{
	"1042": {Number: "1042", CustomerID: "c-1", Status: "shipped on Monday with DHL, tracking 00340434161094042557"},
	"1043": {Number: "1043", CustomerID: "c-1", Status: "paid, being packed"},
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "events:", err)
		os.Exit(1)
	}
	fmt.Printf("Visitors' chat: ws://%s/chat/ws\n", ln.Addr())
	if err := run(ctx, ln, secret); err != nil {
		fmt.Fprintln(os.Stderr, "events:", err)
		os.Exit(1)
	}
}

// run serves the visitors' chat on ln, with the order bot, until ctx is done.
func run(ctx context.Context, ln net.Listener, secret []byte) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	desk, err := chat.NewDesk(chat.Config{Store: memory.New(), Logger: log})
	if err != nil {
		return err
	}
	defer desk.Close(ctx) // on an early return; the shutdown below closes it with a deadline
	wait, err := startOrderBot(ctx, desk, demoOrders, log)
	if err != nil {
		return err
	}
	chatServer, err := transport.New(transport.Config{Desk: desk, Secret: secret, Logger: log})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/chat/", http.StripPrefix("/chat", chatServer.VisitorHandler()))
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
	_ = chatServer.Shutdown(shutdown)
	err = srv.Shutdown(shutdown)
	// The bot stops with ctx.
	if werr := wait(); !errors.Is(werr, context.Canceled) {
		err = errors.Join(err, werr)
	}
	return errors.Join(err, desk.Close(shutdown))
}
