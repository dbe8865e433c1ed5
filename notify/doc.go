// Package notify sends Parley's notices to visitors by email: the
// acknowledgement of a request left while nobody was online, an agent's
// reply to a visitor who has gone, the transcript of a chat, and the link
// that confirms an address before a transcript goes to it. [SMTP]
// implements [chat.Notifier] over any SMTP server with net/smtp.
//
// # Setting up
//
//	mailer, err := notify.New(notify.Config{
//		Addr:     "smtp.example.com:587",
//		From:     mail.Address{Name: "Żółty Kot", Address: "shop@zolty-kot.example"},
//		Auth:     smtp.PlainAuth("", "shop@zolty-kot.example", password, "smtp.example.com"),
//		ShopName: "Żółty Kot",
//	})
//
// New does no I/O. Each Notify opens one connection, upgrades it with
// STARTTLS, authenticates, sends one message and says QUIT. By default
// Notify refuses to send in plain text unless the server is on a loopback
// address (a relay on the same machine); see [TLSMode] for port 465 and for
// servers that cannot do TLS at all. A call is bounded by Config.Timeout and
// by its context: cancelling the context abandons the connection at once.
//
// # What is sent
//
// Pass a [chat.Notice]. Its kind decides the text, its visitor the recipient
// and the language, its Location the time zone of the times shown:
//
//	reply := hours.ExpectedReply(time.Now(), schedule, 2*time.Hour)
//	err := mailer.Notify(ctx, chat.Notice{
//		Kind:          chat.NoticeOfflineReceived,
//		To:            visitor,
//		Conversation:  info,
//		Messages:      []chat.Message{request},
//		ExpectedReply: reply,
//		Location:      schedule.Location,
//	})
//
// A visitor without an email address cannot be notified: Notify returns an
// error wrapping chat.ErrInvalid and sends nothing, so check Visitor.Email
// first, or test the error with errors.Is.
//
// Messages follow RFC 5322 and MIME: a multipart/alternative body with plain
// text and HTML, UTF-8 in quoted-printable, RFC 2047 encoded names and
// subject, Date and Message-ID, and "Auto-Submitted: auto-generated" on
// automatic notices so that mail servers do not answer them with
// vacation replies. Everything the visitor, the agent or the shop wrote is
// escaped in the HTML part. [SMTP.Compose] returns the message without
// sending it, for previews or for a mail service with its own API.
//
// With Config.ReplyAddress set, notices about a conversation carry its
// reply address as Reply-To, and the mailreply package appends the
// visitor's answer to the conversation.
//
// # Languages
//
// The text is in English, Polish, Finnish or Russian, picked by the language
// of Visitor.Locale ("pl", "pl-PL", "fi-FI", "ru-RU"); other locales get
// English. Dates are written the way each language writes them, for example
// "poniedziałek, 30 marca 2026, godz. 10:00 CEST" or "maanantaina 30.
// maaliskuuta 2026 klo 11.00 EEST".
// Times are shown in Notice.Location, which the Desk sets to the visitor's
// Visitor.TimeZone (the browser's, as the widget reports it), or to the
// shop's Config.Location when the visitor has none.
//
// # Errors
//
// A refusal by the server wraps its *textproto.Error: a Code of 400 to 499
// is temporary and worth retrying later, 500 and above is permanent.
// Network failures are returned as they are, and an ended context is
// reported with its error (context.Canceled or context.DeadlineExceeded).
package notify
