package storetest

import (
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

func textCases() []testCase {
	return []testCase{
		{"MessageBodies", testTextBodies},
		{"BodyAtLimit", testTextBodyAtLimit},
		{"Names", testTextNames},
		{"AgentIDsByBytes", testTextAgentIDs},
		{"IdempotencyKeysByBytes", testTextIdempotencyKeys},
	}
}

// texts are bodies a shop's customers really send, and some that try to
// break a store: they must come back byte for byte.
func texts() map[string]string {
	return map[string]string{
		"Polish":      "Zażółć gęślą jaźń. Czy mogę zwrócić rower? Paczka nie dotarła do Łodzi.",
		"Finnish":     "Hyvää päivää! Tilaukseni ei ole vielä saapunut, voitteko tarkistaa? Kiitos, Äänekoski.",
		"Russian":     "Здравствуйте! Где мой заказ? Съешь же ещё этих мягких французских булок.",
		"emoji":       "Thanks 👍🏽 👩‍👩‍👧‍👦 🇵🇱 🇫🇮 ❤️ 🎉",
		"decomposed":  "Zaz\u0307o\u0301ł\u0107", // combining marks, not normalised to NFC
		"composed":    "Zażółć",
		"RTL and CJK": "مرحبا שלום 你好 こんにちは",
		"quotes":      `it's "quoted" \ back\slash; -- comment /* */ ' OR '1'='1`,
		"wildcards":   "100% _off_ [a-z]* $1 ${x} {{.}}",
		"HTML":        `<script>alert(1)</script><img src=x onerror="alert(2)"> &amp;`,
		"whitespace":  "  leading and trailing  \n\r\n\ttabs\t\u00a0nbsp\u2028line separator  ",
		"controls":    "bell\a escape\x1b[31m delete\x7f",
		"max rune":    "\U0010FFFF \uFFFD \uFEFF BOM",
		"one letter":  "ż",
	}
}

func testTextBodies(t *testing.T, f *fixture) {
	c := f.conversation()
	var want []chat.Message
	for name, body := range texts() {
		m := newMessage(c.ID, body)
		m.Author = chat.Author{Kind: chat.AuthorAgent, ID: "agent-" + uuid.NewString(), Name: body[:min(len(body), 40)]}
		if !validUTF8Prefix(m.Author.Name) {
			m.Author.Name = name
		}
		m.IdempotencyKey = name + " " + body[:min(len(body), 20)]
		if !validUTF8Prefix(m.IdempotencyKey) {
			m.IdempotencyKey = name
		}
		got := f.appendMessage(m)
		w := wantMessage(m, int64(len(want)+1))
		requireMessages(t, []chat.Message{w}, []chat.Message{got}, "AppendMessage returns %s text byte for byte", name)
		want = append(want, w)
	}
	requireMessages(t, want, f.messages(c.ID, chat.MessageQuery{}), "Messages returns every text byte for byte")
}

// validUTF8Prefix reports whether cutting a string at a byte offset left it
// valid, so test data never trips validation by accident.
func validUTF8Prefix(s string) bool {
	return strings.ToValidUTF8(s, "\uFFFD") == s && !strings.ContainsRune(s, 0)
}

func testTextBodyAtLimit(t *testing.T, f *fixture) {
	c := f.conversation()
	bodies := []string{
		strings.Repeat("a", chat.MaxBodyBytes),
		strings.Repeat("ż", chat.MaxBodyBytes/2),
		strings.Repeat("я", chat.MaxBodyBytes/2-1) + "ok",
		strings.Repeat("👍", chat.MaxBodyBytes/4),
	}
	var want []chat.Message
	for i, body := range bodies {
		require.Len(t, body, chat.MaxBodyBytes, "test data %d", i)
		m := newMessage(c.ID, body)
		got := f.appendMessage(m)
		w := wantMessage(m, int64(i+1))
		requireMessages(t, []chat.Message{w}, []chat.Message{got}, "a body of exactly MaxBodyBytes (%d) is stored whole", i)
		want = append(want, w)
	}
	requireMessages(t, want, f.messages(c.ID, chat.MessageQuery{}), "bodies of MaxBodyBytes come back whole")
}

func testTextNames(t *testing.T, f *fixture) {
	v := newVisitor()
	v.Name = "Jääskeläinen Łukasz Мария 😀"
	v.Email = "łukasz.jääskeläinen@przykład.pl"
	v.Locale = "fi-FI"
	v.CustomerID = "клиент-42"
	f.putVisitor(v)
	f.requireVisitor(wantVisitor(v), "a visitor with non-ASCII text")

	long := newVisitor()
	long.Name = strings.Repeat("ś", chat.MaxNameBytes/2)
	long.Email = strings.Repeat("e", chat.MaxEmailBytes-len("@example.com")) + "@example.com"
	long.CustomerID = strings.Repeat("7", chat.MaxIDBytes)
	long.Locale = strings.Repeat("l", chat.MaxLocaleBytes)
	long.TimeZone = strings.Repeat("z", chat.MaxTimeZoneBytes)
	f.putVisitor(long)
	f.requireVisitor(wantVisitor(long), "a visitor with every text at its limit")

	a := newAgent()
	a.ID = "agent-ółż-" + uuid.NewString()
	a.Name = "Сергей Łoś"
	a.Departments = []string{"zwroty", "доставка", "toimitus 🚚"}
	f.putAgent(a)
	f.requireAgent(normAgent(a), "an agent with non-ASCII id, name and departments")

	c := newConversation(v.ID)
	c.Department = "доставка"
	c.AgentID = a.ID
	c.Status = chat.StatusOpen
	c.AssignedAt = baseTime()
	created := f.create(c)
	got := f.listConversations(chat.ConversationFilter{AgentID: a.ID})
	require.Equal(t, []chat.ConversationInfo{created}, got, "Conversations finds an agent by a non-ASCII id")
}

// testTextAgentIDs stores agents whose ids differ only in case, accents or
// trailing space: they are different agents. A store that compares text
// case- or accent-insensitively (a default collation, for example) merges
// them.
func testTextAgentIDs(t *testing.T, f *fixture) {
	base := "agent-" + uuid.NewString()
	idsByBytes := []string{base + "-anna", base + "-Anna", base + "-ANNA", base + "-änna", base + "-anna "}
	var agents []chat.Agent
	for i, id := range idsByBytes {
		a := newAgent()
		a.ID = id
		a.Capacity = i + 1
		agents = append(agents, f.putAgent(a))
	}
	for _, a := range agents {
		f.requireAgent(a, "agent ids that differ only in case, accents or trailing space are different agents")
	}

	v := f.visitor()
	for _, a := range agents {
		c := newConversation(v.ID)
		c.AgentID = a.ID
		c.Status = chat.StatusOpen
		c.AssignedAt = baseTime()
		created := f.create(c)
		got := f.listConversations(chat.ConversationFilter{AgentID: a.ID})
		require.Equal(t, []chat.ConversationInfo{created}, got, "Conversations filters by agent id byte for byte (%q)", a.ID)
	}
}

// testTextIdempotencyKeys appends messages whose keys differ only in case
// or accents: each is a new message.
func testTextIdempotencyKeys(t *testing.T, f *fixture) {
	c := f.conversation()
	keys := []string{"order-42", "ORDER-42", "order-42 ", "ordér-42"}
	for i, key := range keys {
		m := newMessage(c.ID, "message "+key)
		m.IdempotencyKey = key
		got, created, err := f.s.AppendMessage(f.ctx, m)
		require.NoError(t, err)
		require.True(t, created, "idempotency key %q differs from the earlier keys by bytes and stores a new message", key)
		require.Equal(t, int64(i+1), got.Seq)
	}
	require.Len(t, f.messages(c.ID, chat.MessageQuery{}), len(keys))
}
