// Package advisor is a virtual advisor for Parley: a bot that answers
// visitors before an agent does and hands the conversation over to a
// person when it should.
//
// An [Advisor] is a chat.Advisor: give it to chat.Config.Advisor. It asks
// a [Bot] for each answer. Package advisor/faq has a ready Bot that
// answers from the shop's list of questions and answers, in the visitor's
// language, by full-text search; a shop may write its own Bot, over its
// order system for example, with [BotFunc], and then compiles no search
// library.
//
//	answers, err := faq.New(faq.Config{Entries: entries})
//	if err != nil { ... }
//	defer answers.Close()
//	adv, err := advisor.New(advisor.Config{Bot: answers})
//	if err != nil { ... }
//	desk, err := chat.NewDesk(chat.Config{Store: store, Advisor: adv})
//
// Nobody is left alone with the advisor. The Desk offers "Talk to a
// person" with every answer and hands over on that request, on a failing
// or slow Bot; the Advisor hands over when the Bot has no answer
// ([ErrNoAnswer]), after [Config].MaxTurns messages, and when the visitor
// repeats themselves. A handoff queues the conversation for the agents,
// or makes it an offline request when none is online, with a note to the
// agents saying why.
//
// The Advisor keeps nothing in memory: it reads the turns and earlier
// messages from the conversation's transcript, which every instance of
// the shop shares, and the Desk runs it once per visitor message, on the
// instance that stored the message. docs/automation.md has the details.
package advisor
