// Package chat is the heart of Parley: the domain of a shop's live chat and
// the service that runs it.
//
// # The pieces
//
// A [Visitor] is someone browsing the shop, anonymous or a known customer. An
// [Agent] is a member of the shop's staff. A conversation between them is
// stored as a [ConversationInfo] and its transcript as numbered [Message]
// values; the pages a visitor opens are kept as [PageView] records.
//
// Three interfaces connect Parley to the shop:
//
//   - [Store] keeps the data. Use store/memory in tests and demos and
//     store/sqlstore (SQLite, PostgreSQL, MySQL) in production, or write your
//     own and check it with store/storetest.
//   - [Router] decides which agent takes a new conversation. [FirstAvailable]
//     is the default; [RouterFunc] turns a function into a Router.
//   - [Conversation] is the handle your code uses to act on one conversation:
//     read the history, post as an agent, bot or the system, assign, close,
//     rate, and listen to its events.
//
// A [Desk] ties them together. The transport package serves a Desk to
// browsers; your own code calls it directly:
//
//	desk, err := chat.NewDesk(chat.Config{Store: memory.New()})
//	if err != nil { ... }
//	defer desk.Close()
//
//	v, err := desk.SaveVisitor(ctx, chat.Visitor{Name: "Anna"})
//	conv, err := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
//	_, err = conv.Post(ctx, chat.Message{
//		Author: chat.Author{Kind: chat.AuthorBot, Name: "Shop"},
//		Body:   "Your order 1042 left the warehouse today.",
//	})
//
// Start the Desk's timed work once per instance, in a goroutine of its own:
//
//	go desk.Run(ctx, 0)
//
// # Queue, offline requests and opening hours
//
// A new conversation is queued and offered to the Router at once when its
// department is staffed: inside [Config.Hours] (always, when nil) with an
// agent online who serves it. Otherwise it starts [StatusWaiting], an
// offline request: the visitor's first message gets an automatic answer
// saying when to expect a reply ([Config.ReplyWithin] of opening time), by
// email too when there is a [Config.Notifier] and an address. Waiting
// requests, then queued conversations, are offered again whenever an agent
// comes online or frees up, and on every sweep of [Desk.Run], which also
// closes conversations inactive for [Config.InactivityTimeout].
// [Desk.Queue] tells each queued conversation's place and estimated wait;
// [Conversation.Transfer] hands a conversation to another agent or
// department.
//
// # Reports
//
// [Desk.Report] returns the service metrics of the conversations started in
// a period: answered, missed and offline counts, queue wait, first response
// and resolution times, ratings, per day, per agent and per hour of the day.
// [MetricsOf] gives the figures of one conversation.
//
// # Events
//
// Everything that happens leaves the Desk as an [Event] through one
// [Broker]: stored facts (a message, an assignment, a status change, a
// rating) and passing signals (typing, read receipts, presence). The default
// [LocalBroker] serves one process; a broker over Redis, PostgreSQL or NATS
// connects several instances of the shop without changing anything else.
// Subscribe to a [Topic] with [Desk.Subscribe] or [Conversation.Subscribe].
// Each [Subscription] has a bounded buffer: a subscriber that falls behind is
// cut off with [ErrSlowConsumer] instead of slowing anyone else down, and
// catches up from the Store by message sequence number.
//
// # Ordering and delivery
//
// Messages of a conversation are numbered 1, 2, 3... by the Store with no
// gaps. Events are delivered at most once, and message events of one
// conversation may arrive out of order when messages are posted
// concurrently; order them by [Message.Seq] and fill any gap with
// [Conversation.History]. Stored data is the truth; events are news of it.
//
// # Errors
//
// Errors wrap the sentinels [ErrNotFound], [ErrInvalid], [ErrConflict],
// [ErrClosed] and [ErrSlowConsumer]; test them with errors.Is. Input is
// checked before anything is written, against the limits in this package
// (a message body holds at most [MaxBodyBytes] bytes of UTF-8).
package chat
