package mailreply

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The emails in testdata are as mail clients send them; {{REPLY}} stands
// for the reply address.
func TestParseTestdata(t *testing.T) {
	for file, want := range map[string]struct {
		from, text  string
		attachments []string
		auto        bool
	}{
		"plain.eml": {from: "anna.virtanen@example.fi", text: "Thanks! Can I still change the size to 42?\n\nAnna"},
		"html-only.eml": {from: "tom.baker@example.com",
			text: "Hi, the parcel arrived but the box was damaged.\nCould you send a new one?\n\nTom"},
		"attachment.eml": {from: "mark@example.org", text: "Here is the invoice you asked for.\n\nBest regards,\nMark",
			attachments: []string{"invoice-2026-117.pdf"}},
		"polish-qp.eml": {from: "lukasz@example.pl",
			text: "Dzień dobry,\n\nczy mogę zapłacić przy odbiorze? Zależy mi na szybkiej dostawie.\n\nPozdrawiam\nŁukasz Żółkiewski"},
		"russian-base64.eml": {from: "ivan@example.ru",
			text: "Здравствуйте!\n\nПодскажите, пожалуйста, когда придёт мой заказ номер 1234?\n\nСпасибо,\nИван"},
		"autoreply.eml": {from: "anna.virtanen@example.fi", text: "I am on holiday until 14 December.", auto: true},
	} {
		t.Run(file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", file))
			require.NoError(t, err)
			raw = []byte(strings.ReplaceAll(string(raw), "{{REPLY}}", "reply+token@reply.shop.example"))
			e, err := parse(raw)
			require.NoError(t, err)
			assert.Equal(t, want.from, e.from)
			assert.Contains(t, e.recipients, "reply+token@reply.shop.example")
			assert.Equal(t, want.text, e.text())
			assert.Equal(t, want.attachments, e.attachments)
			assert.Equal(t, want.auto, e.auto)
			assert.NotEmpty(t, e.messageID)
		})
	}
}

// TestFlowed: a format=flowed text, as Thunderbird and Apple Mail send
// it, comes back as the lines the sender wrote.
func TestFlowed(t *testing.T) {
	raw := "From: a@example.com\r\nTo: b@example.com\r\nContent-Type: text/plain; charset=utf-8; format=flowed\r\n\r\n" +
		"Czy mogę zapłacić przy odbiorze? Zależy mi na \r\nszybkiej dostawie.\r\n From the start.\r\n\r\nPozdrawiam\r\n-- \r\nAnna\r\n"
	e, err := parse([]byte(raw))
	require.NoError(t, err)
	assert.Equal(t, "Czy mogę zapłacić przy odbiorze? Zależy mi na szybkiej dostawie.\nFrom the start.\n\nPozdrawiam", e.text())
	assert.Equal(t, "one two\n", unflow("one \r\ntwo\r\n", false))
	assert.Equal(t, "onetwo\n", unflow("one \r\ntwo\r\n", true))
}

func TestReplyText(t *testing.T) {
	for name, c := range map[string]struct{ in, want string }{
		"interleaved quotes are dropped": {"> Which size?\n42, please.\n> And colour?\nBlue.", "42, please.\nBlue."},
		"folded attribution":             {"Yes.\n\nOn Wed, 2 Dec 2026 at 10:55, Parley Shop <reply@shop.example>\nwrote:\n\n> Hello", "Yes."},
		"original message":               {"See below.\n-----Original Message-----\nFrom: Shop", "See below."},
		"Finnish":                        {"Kiitos!\n\nke 2.12.2026 klo 10.55 Parley Shop kirjoitti:\n> Hei", "Kiitos!"},
		"Outlook header block":           {"Ok.\n\nFrom: Parley Shop\nSent: Wednesday\nTo: Mark\nSubject: Hi\n\nHello", "Ok."},
		"signature":                      {"Fine.\n-- \nMark\nCEO", "Fine."},
		"nothing but a quote":            {"> Hello\n> there", ""},
		"a From: line in the text stays": {"From: my old address, please.\nThanks", "From: my old address, please.\nThanks"},
	} {
		assert.Equal(t, c.want, reply(c.in), name)
	}
}

func TestHTMLText(t *testing.T) {
	for name, c := range map[string]struct{ in, want string }{
		"entities and breaks":    {"<p>Fish &amp; chips</p><p>Tak&nbsp;&#380;e</p>", "\nFish & chips\n\nTak że\n"},
		"nested quote skipped":   {"Yes<blockquote>a<blockquote>b</blockquote>c</blockquote>!", "Yes!"},
		"gmail quote div nested": {`ok<div class="gmail_quote"><div>x</div><div>y</div></div> done`, "ok done"},
		"style and comments":     {"<style>p{}</style><!-- x -->Hi", "Hi"},
		"Outlook's quote":        {`Ok<div id="divRplyFwdMsg"><b>From:</b> Shop<div>Hello</div></div>`, "Ok"},
		"unclosed tag":           {"Hi <b", "Hi"},
	} {
		assert.Equal(t, c.want, htmlText(c.in), name)
	}
}

// FuzzParse: no input makes parsing panic.
func FuzzParse(f *testing.F) {
	for _, file := range []string{"plain.eml", "attachment.eml", "russian-base64.eml"} {
		raw, err := os.ReadFile(filepath.Join("testdata", file))
		require.NoError(f, err)
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if e, err := parse(raw); err == nil {
			_ = e.text()
		}
	})
}
