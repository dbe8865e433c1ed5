package chat_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
)

// printer is a Notifier that prints what it would send, and keeps the
// last confirmation link.
type printer struct{ link string }

func (p *printer) Notify(_ context.Context, n chat.Notice) error {
	fmt.Printf("email %s to %s with %d messages\n", n.Kind, n.To.Email, len(n.Messages))
	if n.Kind == chat.NoticeConfirmEmail {
		p.link = n.ConfirmURL
	}
	return nil
}

// An anonymous visitor asks for the transcript. The address they typed
// is not proven, so it gets a confirmation link first, with nothing the
// visitor wrote; opening the link (the transport's confirmation page calls
// ConfirmEmail) sends the transcript. An address that bounced gets nothing.
func ExampleDesk_SendTranscript() {
	ctx := context.Background()
	mail := &printer{}
	desk, err := chat.NewDesk(chat.Config{
		Store:           memory.New(),
		Notifier:        mail,
		EmailConfirmURL: "https://shop.example.com/chat/email/confirm",
	})
	if err != nil {
		panic(err)
	}
	defer desk.Close(ctx)

	// Nobody is online: the visitor's message gets an automatic answer,
	// and the transcript has both.
	v, _ := desk.SaveVisitor(ctx, chat.Visitor{})
	conv, _ := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
	_, _ = conv.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String()}, Body: "Hello"})

	err = desk.SendTranscript(ctx, conv.ID(), "anna@example.com")
	fmt.Println(errors.Is(err, chat.ErrConfirmationSent))

	link, _ := url.Parse(mail.link)
	_, err = desk.ConfirmEmail(ctx, link.Query().Get("token"))
	fmt.Println(err)

	// The mail provider reports a bounce.
	_ = desk.SuppressEmail(ctx, "anna@example.com", chat.SuppressBounce)
	err = desk.SendTranscript(ctx, conv.ID(), "")
	fmt.Println(errors.Is(err, chat.ErrEmailSuppressed))
	// Output:
	// email confirm_email to anna@example.com with 0 messages
	// true
	// email transcript to anna@example.com with 2 messages
	// <nil>
	// true
}
