// Package memory is a [chat.Store] that keeps everything in the process's
// memory. It is what tests and demos use: it needs nothing, starts empty
// and forgets everything when the process ends.
//
//	desk, err := chat.NewDesk(chat.Config{Store: memory.New()})
//
// It follows every rule of [chat.Store] and passes the conformance suite in
// store/storetest. It serves one instance: the Desks of other processes
// cannot reach it. A shop that must keep its chats across restarts uses
// store/sqlite, store/postgres or store/mysql instead, and a shop that
// runs several instances store/postgres or store/mysql.
package memory
