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
//	defer desk.Close(ctx)
//
//	v, err := desk.SaveVisitor(ctx, chat.Visitor{Name: "Anna"})
//	conv, err := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
//	_, err = conv.Post(ctx, chat.Message{
//		Author: chat.Author{Kind: chat.AuthorBot, Name: "Shop"},
//		Body:   "Your order 1042 left the warehouse today.",
//	})
//
// # Queue, offline requests and the timed work
//
// A new conversation goes to an agent at once when the Router finds one
// with room. When agents are online but busy it is queued: visitors are
// told their place and an estimated wait ([EventQueue], [Desk.Queue]), an
// agent who frees up or comes online gets the oldest, and agents may pick
// one themselves with [Conversation.Assign], never beyond their Capacity
// ([ErrAgentBusy]), which the Store enforces ([AssignStore]) so that it
// holds across instances. [Conversation.Transfer] hands a conversation to another
// agent or department and says so in the transcript.
//
// When nobody can answer (no agent of the department online, or outside
// [Config.Hours]) the conversation starts [StatusWaiting]: an offline
// request. The visitor's first message gets one automatic reply saying when
// to expect an answer, and an email through [Config.Notifier] when their
// address is known; agents get offline requests after the queue. Replies
// a visitor who left has not seen are emailed to them, and
// [Desk.SendTranscript] sends the whole conversation.
//
// Email goes out under rules kept in the [EmailStore], so that no one can
// use the shop to mail text they wrote to someone else: transcripts go only
// to an address the visitor proved ([Desk.ProveEmail], the transport's
// identity tokens, or a confirmation link sent first and opened through
// [Desk.ConfirmEmail]), other notices to unproven addresses leave the
// visitor's words out, every email counts against daily caps per visitor
// and per address ([ErrEmailLimit]), and suppressed addresses
// ([Desk.SuppressEmail]) get nothing.
//
// A virtual advisor ([Config.Advisor]; package advisor) may answer new
// conversations first: they start in [StatusBot], no agent is offered
// them, and each visitor message is answered by the advisor on the
// instance that stored it. Every answer offers a person
// ([PersonRequest]); the advisor hands the conversation over to the
// queue, or to an offline request when nobody is online, and says why in
// [ConversationInfo.Handoff] and an internal note.
//
// Start [Desk.Run] once per instance, in its own goroutine: it calls
// [Desk.Sweep] every minute, which closes conversations left idle for
// [Config.InactivityTimeout] and hands offline requests to agents when
// their department opens. [Desk.Close] stops it at once. Of the instances
// sharing a Store, the one holding the sweep's job lease
// ([JobLeaseStore]) sweeps and the others skip their rounds; when it stops
// or crashes, another takes the job over.
//
// # Agents' presence across instances
//
// The transport holds a presence lease ([AgentLeaseStore]) on every agent
// connected to it and renews it; an agent goes offline when the last
// instance holding them releases its lease. When an instance dies without
// a goodbye its leases run out after [Config.AgentLeaseTTL], and [Desk.Run]
// on any instance sets those agents offline, so their conversations go
// back to the queue instead of waiting for someone who is gone. Agents set
// online by your own code, who hold no lease, are left alone.
//
// # Customers on several devices
//
// A Store that is also a [CustomerStore] links each of the shop's
// customers to one visitor ([Desk.LinkCustomer]), so that a customer is the
// same visitor, with the same conversations, on every device and
// instance. When an anonymous visitor logs in as a customer who is another
// visitor already, [Desk.MergeVisitor] moves their conversations and page
// views to the customer's visitor and tells every instance.
//
// What the Desk itself writes to a visitor, the automatic reply, transfer
// and inactivity notes, and the notices, is in the visitor's
// [Visitor.Locale] (English, Polish, Finnish or Russian; English for any
// other) with times in their [Visitor.TimeZone], or in [Config.Location]
// when they have none. The transport's widget reports both in its hello.
//
// # Service metrics
//
// [MetricsOf] gives one conversation's queue wait, first response and
// resolution times, and whether it was missed; [Desk.Report] aggregates a
// period per day, agent and hour, with medians and 90th percentiles.
//
// # Events
//
// Everything that happens leaves the Desk as an [Event] through one
// [Broker]: stored facts (a message, an assignment, a status change, a
// rating) and passing signals (typing, read receipts, presence). The default
// [LocalBroker] serves one process; the brokers under broker/ (Redis, NATS,
// PostgreSQL) carry events between several instances of the shop. Some state is
// still kept per instance; docs/operating.md says what. A broker that lost
// its connection has missed events: call [Desk.Resync] from its reconnect
// hook, and the Desk forgets what it cached and tells each subscription,
// with an [EventResync], to read what it follows from the Store again.
// Subscribe to a [Topic] with [Desk.Subscribe] or [Conversation.Subscribe],
// and add or drop topics while the subscription lives with
// [Subscription.Follow] and [Subscription.Unfollow]; an event on several of
// its topics is delivered once.
// Each [Subscription] has a bounded buffer: a subscriber that falls behind is
// cut off with [ErrSlowConsumer] instead of slowing anyone else down, and
// catches up from the Store by message sequence number.
//
// Events are lost when nobody listens. For what must reach the world
// outside, set [Config.Recorder]: the Desk hands it each stored fact once,
// on the instance that made it, and the webhook package's recorder keeps a
// delivery per subscribed URL in the Store's outbox ([OutboxStore]) until
// it is delivered.
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
// [ErrClosed], [ErrAgentBusy], [ErrKeyReused], [ErrSlowConsumer] and
// [ErrBlocked]; test them with errors.Is. Input is
// checked before anything is written, against the limits in this package
// (a message body holds at most [MaxBodyBytes] bytes of UTF-8).
//
// # Blocking abusive visitors
//
// [Desk.Block] stores a [Block] that matches visitors by id, customer id,
// email or IP network, until it expires or [Desk.Unblock] lifts it, and
// tells every instance through the Broker. [Desk.Blocked] answers from
// memory whether a block in force matches a visitor; the transport asks
// it on every hello and frame.
package chat
