package e2e_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/transport"
)

// csvOf is the CSV a console export link offers, as text without the
// byte order mark.
func csvOf(b *tab, id string) string {
	b.t.Helper()
	return eval[string](b, `decodeURIComponent(document.getElementById(`+js(id)+`).getAttribute("href").replace(/^data:text\/csv;charset=utf-8,/, "")).replace(/^\ufeff/, "")`)
}

// An agent tags a conversation, finds it again by its text, its visitor
// and its tag, exports what was found and the report of the tag as CSV,
// and opens a found conversation. A tag that looks like a formula reaches
// the CSV defused.
func TestConsoleTagsSearchAndExport(t *testing.T) {
	s := newShop(t, nil)
	identity, err := transport.SignIdentity(testSecret, transport.Identity{CustomerID: "c-7", Name: "Anna Nowak", Email: "anna@example.com", Expires: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	s.setPage("anna", page{Title: "Shop", Lang: "en", Widget: map[string]string{"identity": identity}})
	agent := s.agentTab("olga")
	anna := s.visitorTab("/shop/anna")
	anna.ask("Where is my parcel?")
	agent.until("Anna's chat is the agent's", cAll("#mine .conv-item")+`.length === 1`)
	agent.click(`document.querySelector("#mine .conv-item button")`)
	agent.until("it shows", cAll("#log .msg.visitor p")+`.includes("Where is my parcel?")`)

	addTag := func(tag string) {
		t.Helper()
		agent.do(chromedp.SetValue(chromedp.CSS(`#tag-form [name=tag]`), tag))
		agent.click(`document.querySelector("#tag-form button")`)
	}
	chips := cAll("#tag-list .tag-chip span")
	addTag("Refund")
	agent.until("the tag shows, in lower case", chips+`.join() === "refund"`)
	addTag("vip")
	agent.until("a second tag", chips+`.join() === "refund,vip"`)
	require.Equal(t, "Remove tag vip", eval[string](agent, `document.querySelectorAll("#tag-list .untag")[1].getAttribute("aria-label")`))
	agent.click(`document.querySelectorAll("#tag-list .untag")[1]`)
	agent.until("the tag is removed", chips+`.join() === "refund"`)

	ben := s.visitorTab("/shop/x")
	ben.ask("Hello there")
	agent.until("Ben's chat arrives", cAll("#mine .conv-item")+`.length === 2`)

	agent.click(`document.getElementById("tab-search")`)
	rows := cAll("#results tbody tr td:nth-child(2)")
	find := func(field, value string, want string) {
		t.Helper()
		agent.do(chromedp.Evaluate[chromedp.Void](`document.getElementById("search-form").reset()`))
		if field != "" {
			agent.do(chromedp.SetValue(chromedp.CSS(`#search-form [name=`+field+`]`), value))
		}
		agent.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("#results tbody").replaceChildren()`))
		agent.click(`document.querySelector("#search-form button[type=submit]")`)
		agent.until("the search by "+field+" finds "+want, rows+`.join("|") === `+js(want)+` || (`+js(want)+` === "" && !document.getElementById("no-results").hidden)`)
	}
	find("text", "PARCEL", "Anna Nowak")
	find("visitor", "anna@", "Anna Nowak")
	find("tag", "Refund", "Anna Nowak")
	find("text", "no such words", "")
	everyone := "Visitor " + eval[string](agent, `Array.from(document.querySelectorAll("#mine .conv-item .name"), n => n.textContent).find(n => n.startsWith("Visitor")).slice(-6)`) + "|Anna Nowak"
	find("", "", everyone)
	agent.screenshot("console-search")

	agent.click(`document.getElementById("tab-chats")`)
	addTag("=cmd")
	agent.until("a tag like a formula", chips+`.join() === "=cmd,refund"`)
	agent.click(`document.getElementById("tab-search")`)
	find("", "", everyone)

	lines := strings.Split(strings.TrimSpace(csvOf(agent, "search-export")), "\r\n")
	require.Len(t, lines, 3, "a header and the two conversations")
	require.Equal(t, "id,started_at,status,department,agent_id,visitor_name,visitor_email,customer_id,rating,resolved,tags", lines[0])
	require.Contains(t, lines[2], ",open,,olga,Anna Nowak,anna@example.com,c-7,,,'=cmd refund")

	agent.click(`Array.from(document.querySelectorAll("#results tbody tr")).find(r => r.textContent.includes("Anna")).querySelector("button")`)
	agent.until("the found conversation opens", `!document.getElementById("view-chats").hidden && document.getElementById("conv-title").textContent === "Anna Nowak"`)

	agent.click(`document.getElementById("tab-stats")`)
	agent.until("the report shows", cAll("#stats .tile .v")+`[0] === "2"`)
	agent.do(chromedp.SetValue(chromedp.CSS(`#stats-form [name=tag]`), "refund"))
	agent.click(`document.querySelector("#stats-form button[type=submit]")`)
	agent.until("the report of the tag", cAll("#stats .tile .v")+`[0] === "1"`)
	report := strings.Split(strings.TrimSpace(csvOf(agent, "stats-export")), "\r\n")
	require.Equal(t, "scope,key,conversations,answered,missed,offline,messages,median_queue_wait_s,median_first_response_s,median_resolution_s,ratings,rating_average,resolved,unresolved", report[0])
	require.True(t, strings.HasPrefix(report[1], "total,UTC,1,"), report[1])
	require.Equal(t, 1+1+7+1, len(report), "the total, the week's days and the agent")
	require.True(t, strings.HasPrefix(report[len(report)-1], "agent,olga,1,"), report[len(report)-1])
}
