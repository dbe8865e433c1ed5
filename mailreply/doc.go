// Package mailreply lets visitors answer Parley's emails: an answer to an
// offline acknowledgement, to an agent's reply sent to a visitor who left,
// or to a transcript lands in the conversation as the visitor's message.
//
// # Reply addresses
//
// Addresses gives each conversation an address of its own,
// reply+<token>@<domain>, where the token carries the conversation's id and
// an HMAC-SHA256 of it keyed with the shop's secret: nobody without the
// secret can make the address of another conversation. notify sets it as
// the Reply-To of the emails it sends:
//
//	addresses, err := mailreply.NewAddresses(mailreply.AddressConfig{
//		Secret: secret, // 32 random bytes, the same on every instance
//		Domain: "reply.shop.example",
//	})
//	notifier, err := notify.New(notify.Config{..., ReplyAddress: addresses.Address})
//
// # Receiving
//
// Point the domain's mail at a provider that forwards inbound email by
// HTTP, and mount a Receiver, an http.Handler, where it posts; or call
// Receiver.Deliver from a small SMTP server's data handler. The Receiver
// reads the raw RFC 5322 message (MIME, quoted-printable, base64, any
// common character set), checks the reply address and that the sender is
// the conversation's visitor, takes the text without the quoted history
// and the signature, and posts it to the conversation. Refused emails
// return typed errors (ErrForgedAddress, ErrNoReplyAddress,
// ErrWrongSender, ...).
package mailreply
