// Package filestore holds what every chat.FileStore shares: the
// conformance suite in filestore/filetest, and the store over a directory
// in filestore/disk. The store in the SQL database is store/sqlstore's
// Store, which implements chat.FileStore besides chat.Store.
//
// Pick the disk store when one instance serves the chat, or when every
// instance mounts the same directory; pick the SQL store to keep uploads
// with the rest of Parley's data, backed up and shared by every instance
// with it.
package filestore
