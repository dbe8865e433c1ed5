// Package storetest is the conformance suite for [chat.Store]. Every store
// that ships with Parley runs it, and a shop that writes its own store runs
// the same cases against its backend.
//
// # Running the suite
//
// Call [Run] from a test in the package that implements the store. The
// function passed to Run is called once per case and returns the store that
// case uses:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) chat.Store {
//			s, err := mystore.Open(t.Context(), os.Getenv("MYSTORE_DSN"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close(context.Background()) })
//			return s
//		})
//	}
//
// Every case is a parallel subtest and works only on records it creates
// with fresh random ids, so the function may return one shared store (a
// single database opened once for the whole test) instead of a new one per
// case. Cases never delete anything and never assume the store is empty;
// where a method reads more than the case wrote (Agents, or Conversations
// filtered by status alone) the case checks only what it can know.
//
// The cases, grouped by subtest name:
//
//   - Visitor, Agent, Conversation, Message, PageView: round trips comparing
//     every field, replacement, not-found, duplicate ids, paging and order.
//   - Conversation/List*, PageThroughTies, CursorIsAPosition: listings
//     oldest and newest first, and paging with cursors through more than
//     one chat.MaxPageSize of conversations created in the same
//     microsecond, each listed once.
//   - Conversation/Update*: optimistic locking by Version, and the fields an
//     update keeps.
//   - Message/Seq*: sequence numbers that are gap-free and distinct under
//     concurrent writers, and idempotent appends, also under concurrency.
//   - Invalid: input rejected with [chat.ErrInvalid] writes nothing.
//   - Context: a context that is already done fails every method with its
//     own error and writes nothing.
//   - Text: non-ASCII, multi-codepoint and hostile text, and text at the
//     byte limits, returned byte for byte; ids compared by bytes.
//   - Isolation: changing a slice or pointer passed in or handed out does
//     not change what the store holds.
//   - Customer: links of customers to visitors, first link winning, also
//     under concurrency, and merges that move a visitor's conversations
//     and page views to another. These cases are skipped for a store that
//     is not a [chat.CustomerStore], an optional ability.
//
// Failures name the rule of [chat.Store] that was broken. Nothing in the
// contract is optional, so there are no switches to turn cases off; to look
// at one area at a time, use go test's -run and -skip flags with the
// subtest names above.
//
// # What the suite needs from a backend
//
// The suite stores a conversation's visitor (and its agent, when it assigns
// one) before the conversation, and a page view's visitor before the page
// view, so a backend with foreign keys passes. It compares times after
// [chat.Timestamp] and treats nil and empty slices as equal, as the
// contract allows. Everything else is compared exactly: text byte for byte,
// slices in order, *bool by value (nil, false and true are three answers).
//
// # Benchmarks
//
// [Benchmark] measures the hot paths of a chat: appending from many
// goroutines into many conversations and into one, and reading the newest
// page of a transcript:
//
//	func BenchmarkStore(b *testing.B) {
//		storetest.Benchmark(b, func(b *testing.B) chat.Store { return mystore.New() })
//	}
package storetest
