package webhook_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/parleychat/parley/webhook"
)

// A receiver reads the body whole, verifies it, and does each delivery
// once by its id.
func ExampleVerify() {
	secret := []byte("the endpoint's secret, 32 bytes!")
	seen := map[string]bool{} // a real receiver keeps these in its database
	receive := func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "cannot read", http.StatusBadRequest)
			return
		}
		if err := webhook.Verify(secret, r.Header.Get(webhook.SignatureHeader), body, 5*time.Minute); err != nil {
			// errors.Is tells ErrStaleSignature, ErrSignatureMismatch
			// and ErrMalformedSignature apart.
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var d webhook.Delivery
		if err := json.Unmarshal(body, &d); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		if !seen[d.ID.String()] {
			seen[d.ID.String()] = true
			fmt.Println("received", d.Type)
		}
		w.WriteHeader(http.StatusNoContent) // anything 2xx: delivered
	}

	body := `{"id":"01935f0e-0000-7000-8000-000000000001","type":"conversation.closed"}`
	for _, sig := range []string{
		webhook.Sign(secret, time.Now(), []byte(body)),
		webhook.Sign(secret, time.Now(), []byte(body)), // a repeat: the same id
		webhook.Sign(secret, time.Now().Add(-time.Hour), []byte(body)),
		webhook.Sign([]byte("somebody else's secret, 32 bytes"), time.Now(), []byte(body)),
	} {
		r := httptest.NewRequest(http.MethodPost, "/parley", strings.NewReader(body))
		r.Header.Set(webhook.SignatureHeader, sig)
		w := httptest.NewRecorder()
		receive(w, r)
		fmt.Println(w.Code)
	}
	// Output:
	// received conversation.closed
	// 204
	// 204
	// 401
	// 401
}
