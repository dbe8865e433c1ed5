package transport

import (
	"errors"
	"html/template"
	"net/http"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// maxConfirmFormBytes caps the body of a confirmation POST.
const maxConfirmFormBytes = 4 << 10

// handleEmail adds the confirmation page that chat.Config.EmailConfirmURL
// points at. GET shows a button and changes nothing, so that mail
// scanners that open links do not confirm an address on their own; the
// button POSTs the token, which confirms the address and sends the
// waiting transcript.
func (s *Server) handleEmail(mux *http.ServeMux) {
	mux.HandleFunc("GET /email/confirm", func(w http.ResponseWriter, r *http.Request) {
		token := r.URL.Query().Get("token")
		if token == "" {
			writeConfirmPage(w, http.StatusBadRequest, confirmPage{Text: "This link is incomplete. Open the link from the email as it is."})
			return
		}
		writeConfirmPage(w, http.StatusOK, confirmPage{Token: token,
			Text: "Confirm that this is your email address, and we will send the chat transcript to it."})
	})
	mux.HandleFunc("POST /email/confirm", func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxConfirmFormBytes)
		if err := r.ParseForm(); err != nil {
			writeConfirmPage(w, http.StatusBadRequest, confirmPage{Text: "The form could not be read. Open the link from the email again."})
			return
		}
		c, err := s.desk.ConfirmEmail(r.Context(), r.PostForm.Get("token"))
		switch {
		case err == nil && c.ConversationID != uuid.Nil:
			writeConfirmPage(w, http.StatusOK, confirmPage{Text: "Thank you: your address is confirmed. The chat transcript is on its way."})
		case err == nil:
			writeConfirmPage(w, http.StatusOK, confirmPage{Text: "Thank you: your address is confirmed."})
		case errors.Is(err, chat.ErrNotFound) && c.Address == "":
			writeConfirmPage(w, http.StatusNotFound, confirmPage{Text: "This link does not work: it was used already, or it has expired. Ask for the transcript again in the chat."})
		case c.Address == "":
			s.log.ErrorContext(r.Context(), "transport: confirming an email address", "err", err)
			writeConfirmPage(w, http.StatusInternalServerError, confirmPage{Text: "Something went wrong. Open the link from the email again later."})
		case errors.Is(err, chat.ErrEmailLimit):
			writeConfirmPage(w, http.StatusTooManyRequests, confirmPage{Text: "Your address is confirmed, but today's emails to it are used up. Ask for the transcript again tomorrow."})
		case errors.Is(err, chat.ErrEmailSuppressed):
			writeConfirmPage(w, http.StatusConflict, confirmPage{Text: "Your address is confirmed, but mail to it was refused before, so nothing is sent. Contact the shop."})
		default:
			s.log.ErrorContext(r.Context(), "transport: confirming an email address", "err", err)
			writeConfirmPage(w, http.StatusInternalServerError, confirmPage{Text: "Your address is confirmed, but the transcript could not be sent. Ask for it again in the chat."})
		}
	})
}

// confirmPage is what the confirmation page shows: a text, and a button
// when Token is set.
type confirmPage struct {
	Text  string
	Token string
}

var confirmTemplate = template.Must(template.New("confirm").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Confirm your email address</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}button{font:inherit;padding:.5rem 1rem}</style></head>
<body>
<p>{{.Text}}</p>
{{- with .Token}}
<form method="post" action="confirm"><input type="hidden" name="token" value="{{.}}"><button type="submit">Confirm my address</button></form>
{{- end}}
</body>
</html>
`))

// writeConfirmPage answers with the confirmation page. The token is in
// the page's address, so the page sends no Referer and is not cached.
func writeConfirmPage(w http.ResponseWriter, status int, p confirmPage) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	_ = confirmTemplate.Execute(w, p)
}
