package e2e_test

import (
	"html/template"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// countBeeps is page markup that counts the tones the page starts with
// the Web Audio API, in window.beeps.
const countBeeps = template.HTML(`<script>
window.beeps = 0;
window.AudioContext = class extends window.AudioContext {
	createOscillator() { window.beeps++; return super.createOscillator(); }
};
</script>`)

// proactive has agent start a chat with the only visitor on the site
// from the console's visitor list and write text in it.
func proactive(agent *tab, text string) {
	agent.t.Helper()
	agent.click(`document.getElementById("tab-visitors")`)
	agent.until("the visitor is listed", `document.querySelector("#visitors .start-chat")`)
	agent.click(`document.querySelector("#visitors .start-chat")`)
	agent.until("the new chat is open in the console", `!document.getElementById("view-chats").hidden && document.getElementById("conv-status").textContent === "open"`)
	agent.reply(text)
}

// An agent's first message in a chat they started shows, while the
// window is closed, as a card with the agent's picture and name, with a
// sound; in a background tab the title flashes until the tab is back.
// Loading the page again does not show or sound it again.
func TestProactivePreview(t *testing.T) {
	s := newShop(t, nil)
	s.setPage("x", page{Title: "Helmets", Lang: "en", Body: countBeeps})
	agent := s.agentTab("olga")
	visitor := s.visitorTab("/shop/x")
	proactive(agent, "Hello! Can I help with the helmets?")

	visitor.until("the preview card shows", `!`+w(".preview")+`.hidden`)
	require.Equal(t, []string{"O", "Olga", "Hello! Can I help with the helmets?"}, eval[[]string](visitor, wAll(".preview .av, .preview .who, .preview .text")))
	require.True(t, eval[bool](visitor, w(".panel")+`.hidden`), "the window stays closed")
	require.Equal(t, 1, eval[int](visitor, `window.beeps`), "one sound")
	visitor.audit("proactive preview")
	visitor.screenshot("widget-proactive")

	// Headless Chromium keeps every tab visible; the page is told it
	// went to the background as the browser would tell it.
	background(visitor, true)
	agent.reply("We have them in three sizes.")
	visitor.until("the title flashes", `document.title === "New message from Olga"`)
	visitor.until("and back", `document.title === "Helmets"`)
	visitor.until("and again", `document.title === "New message from Olga"`)
	require.Equal(t, 2, eval[int](visitor, `window.beeps`))
	background(visitor, false)
	visitor.until("the title is the page's again", `document.title === "Helmets"`)

	visitor.click(w(".preview .primary"))
	visitor.until("the window opens on the chat", `!`+w(".panel")+`.hidden && `+w(".preview")+`.hidden && `+wAll(".msg.agent p")+`.length === 2`)
	require.Equal(t, "O", eval[string](visitor, w("header .av")+`.textContent`), "the agent's initials in the header")
	require.Equal(t, "Olga", eval[string](visitor, w(".status")+`.textContent`))

	visitor.click(w(".launcher"))
	visitor.open(s.url + "/shop/x")
	visitor.until("the chat is back", `window.Parley && Parley.language && document.getElementById("parley-chat") && `+wAll(".msg.agent p")+`.length === 2`)
	require.True(t, eval[bool](visitor, w(".preview")+`.hidden`), "no preview of what was seen")
	require.Equal(t, 0, eval[int](visitor, `window.beeps`), "no sound for what was heard")
}

// A shop that turned the sound off gets the preview without it.
func TestProactivePreviewQuiet(t *testing.T) {
	s := newShop(t, nil)
	s.setPage("x", page{Title: "Helmets", Lang: "en", Body: countBeeps, Widget: map[string]string{"sound": "off"}})
	agent := s.agentTab("olga")
	visitor := s.visitorTab("/shop/x")
	proactive(agent, "Hello!")
	visitor.until("the preview card shows", `!`+w(".preview")+`.hidden`)
	require.Equal(t, 0, eval[int](visitor, `window.beeps`))
}

// background tells the page its tab went to the background (or came
// back): document.hidden and a visibilitychange event.
func background(b *tab, hidden bool) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](`Object.defineProperty(document, "hidden", {configurable: true, get: () => ` + strconv.FormatBool(hidden) + `});
		document.dispatchEvent(new Event("visibilitychange"))`))
}

// The transcript reads as in the chats shoppers know: a separator names
// the day, consecutive messages of one author show the name once and the
// time (in the visitor's zone) on the last, only the visitor's last
// message is marked Read, a long message is folded behind "Show more",
// right-to-left text runs right to left, and the header shows the agent.
func TestWidgetTranscriptLook(t *testing.T) {
	s := newShop(t, nil)
	agent := s.agentTab("olga")
	visitor := s.newTab()
	inTokyo(visitor)
	visitor.open(s.url + "/shop/x")
	visitor.widgetReady()
	visitor.ask("Hi")
	agent.until("the chat is routed to the agent", cAll("#mine .preview")+`.includes("Hi")`)
	agent.click(`document.querySelector("#mine .conv-item button")`)
	visitor.say("Are you there?")
	visitor.until("both are acknowledged", wAll(".msg.visitor")+`.length === 2 && `+wAll(".msg.visitor .state")+`.length === 1`)
	long := strings.Repeat("All our helmets are certified. ", 40)
	agent.reply("مرحبا، كيف يمكنني المساعدة؟")
	agent.reply(long)
	visitor.until("the replies arrive", wAll(".msg.agent p")+`.length === 2`)
	agent.click(`document.querySelector("#mine .conv-item button")`) // the console marks what it shows as read
	visitor.until("the visitor's last message is read", wAll(".msg.visitor .state")+`.join() === "Read"`)

	require.Equal(t, []string{"Today"}, eval[[]string](visitor, wAll(".day")), "one separator, for today")
	shown := `Array.from(document.getElementById("parley-chat").shadowRoot.querySelectorAll(".msg"), b => [b.className,
		Array.from(b.querySelectorAll(":scope > .who, :scope > .meta"), e => getComputedStyle(e).display === "none" ? "" : e.textContent.replace(/\u202f/g, " ")).filter(Boolean).join("|")])`
	got := eval[[][]string](visitor, shown)
	times := eval[[]string](visitor, `Array.from(document.getElementById("parley-chat").shadowRoot.querySelectorAll(".msg time"), e => e.getAttribute("datetime"))`)
	require.Len(t, times, 4)
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	require.NoError(t, err)
	at := func(i int) string {
		ts, err := time.Parse(time.RFC3339Nano, times[i])
		require.NoError(t, err)
		return ts.In(tokyo).Format("3:04 PM")
	}
	require.Equal(t, [][]string{
		{"msg visitor grouped", ""},
		{"msg visitor cont", at(1) + " · Read"},
		{"msg agent grouped", "Olga"},
		{"msg agent cont long", at(3)},
	}, got)
	require.Equal(t, "auto", eval[string](visitor, w(".msg.agent p")+`.dir`))
	require.Equal(t, "rtl", eval[string](visitor, `getComputedStyle(`+w(".msg.agent p")+`).direction`), "Arabic runs right to left")
	require.Equal(t, "ltr", eval[string](visitor, `getComputedStyle(`+w(".msg.visitor p")+`).direction`))

	folded := w(".msg.long p")
	require.True(t, eval[bool](visitor, folded+`.scrollHeight > `+folded+`.clientHeight + 50`), "the long message is folded")
	require.Equal(t, []string{"Show more", "false"}, eval[[]string](visitor, `[`+w(".fold")+`.textContent, `+w(".fold")+`.getAttribute("aria-expanded")]`))
	visitor.audit("grouped, with a folded message")
	visitor.screenshot("widget-transcript")
	visitor.click(w(".fold"))
	visitor.until("it unfolds", w(".msg.agent.long")+` === null && `+w(".fold")+`.textContent === "Show less" && `+w(".fold")+`.getAttribute("aria-expanded") === "true"`)
	p := w(".msg.cont.agent p")
	require.True(t, eval[bool](visitor, p+`.scrollHeight <= `+p+`.clientHeight`), "all of it shows")
	require.Equal(t, []string{"O", ""}, eval[[]string](visitor, `[`+w("header .av")+`.textContent, `+w("header .av")+`.hidden ? "hidden" : ""]`))
}

// "End chat" asks first; at the end the rating is a card after the
// transcript, which keeps its full height, and the window scrolls as one.
func TestWidgetEndChat(t *testing.T) {
	s := newShop(t, nil)
	agent, visitor := s.chatting("Hi")
	for i := range 8 {
		agent.reply("Line " + strconv.Itoa(i+1) + " of a long answer.")
	}
	visitor.until("the answer arrives", wAll(".msg.agent p")+`.length === 8`)

	visitor.click(w(".end"))
	visitor.until("it asks first", `!`+w(".confirm")+`.hidden && `+w(".confirm p")+`.textContent === "End this chat?"`)
	require.True(t, eval[bool](visitor, `document.getElementById("parley-chat").shadowRoot.activeElement === `+w(".confirm button:not(.primary)")), "Cancel has the focus")
	visitor.audit("asked to end the chat")
	visitor.click(w(".confirm button:not(.primary)"))
	visitor.until("the question is gone", w(".confirm")+`.hidden`)
	require.False(t, eval[bool](visitor, w(".end")+`.hidden`), "the chat goes on")
	require.False(t, eval[bool](visitor, w(".composer")+`.hidden`))

	visitor.click(w(".end"))
	visitor.click(w(".confirm .primary"))
	visitor.until("the rating card shows", `!`+w(".endview")+`.hidden && `+w(".confirm")+`.hidden`)
	agent.until("the console sees the chat closed", `document.getElementById("conv-status").textContent.startsWith("closed")`)
	log, card := w(".log"), w(".endview")
	require.True(t, eval[bool](visitor, log+`.scrollHeight <= `+log+`.clientHeight + 1`), "the transcript is not squeezed")
	require.True(t, eval[bool](visitor, card+`.getBoundingClientRect().top >= `+log+`.getBoundingClientRect().bottom`), "the card follows the transcript")
	visitor.until("the window scrolls to the card", w(".panel")+`.scrollTop > 0 && `+w(".panel")+`.scrollTop + `+w(".panel")+`.clientHeight >= `+w(".panel")+`.scrollHeight - 2`)
	visitor.audit("the rating card")
	visitor.click(w(`.stars [data-n="5"]`))
	visitor.screenshot("widget-rating-card")
}

// The visitor's earlier conversations are listed in the widget, only
// theirs, and one opens read-only in place of the chat.
func TestWidgetEarlierConversations(t *testing.T) {
	s := newShop(t, nil)
	agent, visitor := s.chatting("Where is my parcel?")
	agent.reply("It left the warehouse today.")
	visitor.until("the reply arrives", wAll(".msg.agent p")+`.length === 1`)
	stranger := s.visitorTab("/shop/y")
	stranger.ask("A stranger's question")
	agent.click(`document.getElementById("close-btn")`)
	visitor.until("the chat ends", `!`+w(".endview")+`.hidden`)
	visitor.click(w(".endview .new"))
	visitor.say("One more thing")
	visitor.until("the new chat is acknowledged", wAll(".msg.visitor .state")+`.join() === "Sent"`)
	visitor.until("the clock offers the earlier chat", `!`+w(`[aria-controls="pw-past"]`)+`.hidden`)

	visitor.click(w(`[aria-controls="pw-past"]`))
	visitor.until("the list shows", `!`+w(".past")+`.hidden && `+w(".log")+`.hidden && `+w(".composer")+`.hidden`)
	require.Len(t, eval[[]string](visitor, wAll(".past li")), 1, "one earlier conversation, the visitor's own")
	visitor.audit("earlier conversations")
	visitor.click(w(".past li button"))
	visitor.until("its transcript shows", wAll(".past .msg p")+`.join("|") === "Where is my parcel?|It left the warehouse today."`)
	require.True(t, eval[bool](visitor, w(".past ul")+`.hidden`))
	visitor.audit("an earlier conversation")
	visitor.screenshot("widget-earlier")
	visitor.click(w(".past .row button"))
	visitor.until("back at the list", `!`+w(".past ul")+`.hidden`)
	visitor.click(w(".past .row button"))
	visitor.until("back in the chat", w(".past")+`.hidden && !`+w(".composer")+`.hidden && `+wAll(".log .msg.visitor p")+`.join() === "One more thing"`)

	// A customer who logs out on a shared computer leaves nothing behind.
	visitor.click(w(`[aria-controls="pw-past"]`))
	visitor.click(w(".past li button"))
	visitor.until("the transcript shows again", wAll(".past .msg p")+`.length === 2`)
	visitor.do(chromedp.Evaluate[chromedp.Void](`Parley.reset()`))
	visitor.until("nothing of theirs stays", w(".past")+`.hidden && `+w(`[aria-controls="pw-past"]`)+`.hidden && !document.getElementById("parley-chat").shadowRoot.textContent.includes("parcel")`)
}
