package chat

import (
	"fmt"
	"net/url"
	"strings"
)

// Limits of rich messages.
const (
	// MaxQuickReplies is how many quick replies one message may offer.
	MaxQuickReplies = 10
	// MaxQuickReplyBytes caps the text of one quick reply.
	MaxQuickReplyBytes = 200
)

// ProductCard is a product shown in a message: its picture, name and
// price, a link to its page, and an "add to cart" button. The shop's own
// code makes cards (in an agent action or through Conversation.Post);
// neither visitors nor agents can write one over the wire.
//
// Clients draw a card from its fields as text and attributes, never as
// markup, and open only http and https links. The URLs are checked when
// the message is stored: ImageURL and URL are absolute http or https URLs
// or paths of the shop's site ("/p/teapot"); AddToCart is a path of the
// shop's site only, so that the button can post only to the shop that
// serves the page.
type ProductCard struct {
	// ProductID is the shop's id of the product, sent to AddToCart.
	// Required.
	ProductID string `json:"product_id"`
	// Name is the product's name. Required.
	Name string `json:"name"`
	// Price is what one costs; the zero Money shows no price.
	Price Money `json:"price,omitzero"`
	// ImageURL is the product's picture; empty shows none.
	ImageURL string `json:"image_url,omitempty"`
	// URL is the product's page; empty shows no link.
	URL string `json:"url,omitempty"`
	// AddToCart is the path of the shop's own endpoint the widget posts
	// the form fields product_id=ProductID and quantity=1 to, with the
	// visitor's cookies, when the visitor presses "add to cart"; empty
	// shows no button. A 2xx answer (after redirects) counts as added.
	AddToCart string `json:"add_to_cart,omitempty"`
}

// Text is the card as plain text, for emails and transcripts: the name,
// the price and the link.
func (c ProductCard) Text() string {
	parts := []string{c.Name}
	if !c.Price.IsZero() {
		parts = append(parts, c.Price.String())
	}
	if c.URL != "" {
		parts = append(parts, c.URL)
	}
	return strings.Join(parts, " — ")
}

// Validate reports with ErrInvalid why c cannot be stored.
func (c ProductCard) Validate() error {
	if c.ProductID == "" || strings.TrimSpace(c.Name) == "" {
		return invalid("a product card needs a product id and a name")
	}
	if err := firstErr(
		checkText("card product id", c.ProductID, MaxIDBytes),
		checkText("card name", c.Name, MaxTitleBytes),
		c.Price.Validate(),
		checkLink("card image url", c.ImageURL, true),
		checkLink("card url", c.URL, true),
		checkLink("card add-to-cart path", c.AddToCart, false),
	); err != nil {
		return err
	}
	return nil
}

// checkLink accepts "" and a path of the shop's site ("/x", not "//x");
// with absolute true, also an absolute http or https URL with a host.
func checkLink(field, s string, absolute bool) error {
	if s == "" {
		return nil
	}
	if err := checkText(field, s, MaxURLBytes); err != nil {
		return err
	}
	if strings.ContainsAny(s, "\\ \t\r\n") {
		return invalid("%s %.64q contains a space or a backslash", field, s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return invalid("%s %.64q is not a URL", field, s)
	}
	switch {
	case u.Scheme == "" && u.Host == "" && strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//"):
		return nil
	case absolute && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil:
		return nil
	case absolute:
		return invalid("%s %.64q is not an http or https URL or a path", field, s)
	}
	return invalid("%s %.64q is not a path of the shop's site", field, s)
}

// checkQuickReplies reports with ErrInvalid why a message's quick replies
// cannot be stored.
func checkQuickReplies(qs []string) error {
	if len(qs) > MaxQuickReplies {
		return invalid("message has %d quick replies, over the limit of %d", len(qs), MaxQuickReplies)
	}
	for i, q := range qs {
		if strings.TrimSpace(q) == "" {
			return invalid("quick reply %d is empty", i)
		}
		if err := checkText("quick reply", q, MaxQuickReplyBytes); err != nil {
			return err
		}
	}
	return nil
}

// Text is the message as plain text, as emails and transcripts show it:
// the body, then a product card's name, price and link, then the quick
// replies it offered, one per line.
func (m Message) Text() string {
	var b strings.Builder
	b.WriteString(m.Body)
	line := func(s string) {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString(s)
	}
	if m.Card != nil {
		line(m.Card.Text())
	}
	for _, q := range m.QuickReplies {
		line(fmt.Sprintf("  • %s", q))
	}
	return b.String()
}
