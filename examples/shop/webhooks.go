package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/webhook"
)

// demoWebhooks sends the chat's webhooks to a small receiver the demo runs
// itself, on a loopback port of its own, which verifies each delivery and
// prints it: what a shop's CRM or helpdesk would get.
type demoWebhooks struct {
	hooks    *webhook.Webhooks
	receiver *http.Server
	url      string
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// startWebhooks starts the receiver and the delivery of webhooks from the
// outbox in store. Instances of the shop that share the store and the
// secret deliver each other's webhooks, each to its own receiver.
func startWebhooks(ctx context.Context, secret []byte, store chat.OutboxStore, out io.Writer, log *slog.Logger) (*demoWebhooks, error) {
	key := hookSecret(secret)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex // orders the printed lines
	d := &demoWebhooks{url: "http://" + ln.Addr().String() + "/hooks/parley"}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hooks/parley", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "cannot read", http.StatusBadRequest)
			return
		}
		if err := webhook.Verify(key, r.Header.Get(webhook.SignatureHeader), body, 0); err != nil {
			mu.Lock()
			fmt.Fprintf(out, "Webhook refused: %v\n", err)
			mu.Unlock()
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var hook webhook.Delivery
		if err := json.Unmarshal(body, &hook); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		mu.Lock()
		fmt.Fprintf(out, "Webhook received (signature verified): %s conversation=%s delivery=%s attempt=%s\n",
			hook.Type, hook.ConversationID, hook.ID, r.Header.Get(webhook.AttemptHeader))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	d.receiver = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = d.receiver.Serve(ln) }()

	d.hooks, err = webhook.New(webhook.Config{
		Store:     store,
		Endpoints: []webhook.Endpoint{{Name: "demo-receiver", URL: d.url, Secret: key}},
		// The receiver is on loopback; a real shop's endpoints are on the
		// internet and leave this off.
		AllowPrivateNetworks: true,
		MinRetry:             time.Second,
		Logger:               log,
	})
	if err != nil {
		_ = d.receiver.Close()
		return nil, err
	}
	ctx, d.cancel = context.WithCancel(context.WithoutCancel(ctx))
	d.wg.Go(func() { _ = d.hooks.Run(ctx) })
	return d, nil
}

// hookSecret derives the webhook signing key from the shop's secret, so
// that a leaked webhook key does not sign chat tokens.
func hookSecret(secret []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("demo webhooks"))
	return h.Sum(nil)
}

// stop stops delivering and then the receiver. Deliveries left wait in
// the store for the next start.
func (d *demoWebhooks) stop(ctx context.Context) error {
	d.cancel()
	d.wg.Wait()
	err := d.receiver.Shutdown(ctx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
