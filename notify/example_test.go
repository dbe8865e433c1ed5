package notify_test

import (
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"time"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/hours"
	"github.com/parleychat/parley/notify"
)

// A Polish visitor leaves a question on Saturday evening. The shop answers
// within two business hours, so the acknowledgement promises a reply on
// Monday morning. Compose shows the email Notify would send.
func ExampleSMTP_Compose() {
	warsaw, _ := time.LoadLocation("Europe/Warsaw")
	schedule, _ := hours.New(warsaw, "Mon-Fri 09:00-17:00")
	left := time.Date(2026, 3, 28, 19, 30, 0, 0, warsaw)

	mailer, err := notify.New(notify.Config{
		Addr: "smtp.example.com:587",
		From: mail.Address{Name: "Żółty Kot", Address: "shop@zolty-kot.example"},
	})
	if err != nil {
		panic(err)
	}
	msg, err := mailer.Compose(chat.Notice{
		Kind: chat.NoticeOfflineReceived,
		To:   chat.Visitor{Name: "Łucja", Email: "lucja@example.pl", Locale: "pl-PL"},
		Messages: []chat.Message{{
			Author:    chat.Author{Kind: chat.AuthorVisitor, Name: "Łucja"},
			Body:      "Czy ten rower ma dzwonek?",
			CreatedAt: left,
		}},
		ExpectedReply: hours.ExpectedReply(left, schedule, 2*time.Hour),
		Location:      warsaw,
	})
	if err != nil {
		panic(err)
	}

	// Read it back as a mail client would.
	m, _ := mail.ReadMessage(strings.NewReader(string(msg)))
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	fmt.Println("Subject:", subject)
	_, params, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
	part, _ := multipart.NewReader(m.Body, params["boundary"]).NextPart() // the text part, decoded
	text, _ := io.ReadAll(part)
	fmt.Print(strings.ReplaceAll(string(text), "\r\n", "\n"))
	// Output:
	// Subject: Otrzymaliśmy Twoją wiadomość – Żółty Kot
	// Dzień dobry, Łucja!
	//
	// Dziękujemy za kontakt ze sklepem Żółty Kot. Otrzymaliśmy Twoją wiadomość i odpowiemy na nią e-mailem.
	//
	// Przewidywany czas odpowiedzi: poniedziałek, 30 marca 2026, godz. 11:00 CEST.
	//
	// Twoja wiadomość:
	//
	// Łucja (28.03.2026 19:30):
	// Czy ten rower ma dzwonek?
	//
	// Pozdrawiamy
	// Żółty Kot
}
