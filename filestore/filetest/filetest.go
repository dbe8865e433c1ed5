// Package filetest is the conformance suite for chat.FileStore
// implementations. A store passes when Run passes:
//
//	func TestFiles(t *testing.T) {
//		filetest.Run(t, func(t *testing.T) chat.FileStore { return open(t) })
//	}
//
// Every case is a parallel subtest on fresh ids, so the cases may share one
// store.
package filetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

// Run runs every case against the store newStore returns. newStore is
// called once per case; it may return the same store each time.
func Run(t *testing.T, newStore func(t *testing.T) chat.FileStore) {
	t.Helper()
	cases := []struct {
		name string
		fn   func(t *testing.T, s chat.FileStore)
	}{
		{"RoundTrip", testRoundTrip},
		{"RecordWithoutContent", testRecord},
		{"EmptyAndLarge", testSizes},
		{"NotFound", testNotFound},
		{"DuplicateKeepsOriginal", testDuplicate},
		{"SizeMismatchStoresNothing", testSizeMismatch},
		{"FailingReaderStoresNothing", testFailingReader},
		{"Invalid", testInvalid},
		{"Delete", testDelete},
		{"DoneContext", testDoneContext},
		{"Concurrent", testConcurrent},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, newStore(t))
		})
	}
}

// NewFile returns a valid file record of size bytes in a new conversation,
// as an uploaded image would have.
func NewFile(size int64) chat.File {
	return chat.File{
		ID: chat.NewID(), ConversationID: chat.NewID(), Name: "zdjęcie paczki.png", ContentType: "image/png",
		Size: size, Width: 640, Height: 480,
		Author:    chat.Author{Kind: chat.AuthorVisitor, ID: chat.NewID().String(), Name: "Zoë"},
		CreatedAt: chat.Timestamp(time.Now()),
	}
}

func content(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

func put(t *testing.T, s chat.FileStore, n int) (chat.File, []byte) {
	t.Helper()
	b := content(t, n)
	f := NewFile(int64(n))
	require.NoError(t, s.PutFile(t.Context(), f, bytes.NewReader(b)))
	return f, b
}

func read(t *testing.T, s chat.FileStore, id uuid.UUID) (chat.File, []byte) {
	t.Helper()
	f, rc, err := s.OpenFile(t.Context(), id)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return f, b
}

func testRoundTrip(t *testing.T, s chat.FileStore) {
	f, b := put(t, s, 4096)
	got, data := read(t, s, f.ID)
	assert.Equal(t, f, got)
	assert.Equal(t, time.UTC, got.CreatedAt.Location())
	assert.True(t, bytes.Equal(b, data), "the content comes back byte for byte")
}

func testRecord(t *testing.T, s chat.FileStore) {
	f := NewFile(3)
	f.CreatedAt = time.Date(2026, 3, 1, 12, 30, 45, 123456789, time.FixedZone("CET", 3600))
	require.NoError(t, s.PutFile(t.Context(), f, bytes.NewReader([]byte("abc"))))
	got, err := s.File(t.Context(), f.ID)
	require.NoError(t, err)
	f.CreatedAt = chat.Timestamp(f.CreatedAt)
	assert.Equal(t, f, got, "the record comes back, its time in UTC to the microsecond")
}

func testSizes(t *testing.T, s chat.FileStore) {
	for _, n := range []int{0, 1, 3 << 20} {
		f, b := put(t, s, n)
		got, data := read(t, s, f.ID)
		assert.Equal(t, int64(n), got.Size)
		assert.True(t, bytes.Equal(b, data), "%d bytes come back whole", n)
	}
}

func testNotFound(t *testing.T, s chat.FileStore) {
	id := chat.NewID()
	_, err := s.File(t.Context(), id)
	assert.ErrorIs(t, err, chat.ErrNotFound)
	_, rc, err := s.OpenFile(t.Context(), id)
	assert.ErrorIs(t, err, chat.ErrNotFound)
	assert.Nil(t, rc)
	assert.ErrorIs(t, s.DeleteFile(t.Context(), id), chat.ErrNotFound)
}

func testDuplicate(t *testing.T, s chat.FileStore) {
	f, b := put(t, s, 64)
	other := f
	other.Name = "other.pdf"
	err := s.PutFile(t.Context(), other, bytes.NewReader(content(t, 64)))
	require.ErrorIs(t, err, chat.ErrConflict)
	got, data := read(t, s, f.ID)
	assert.Equal(t, f, got)
	assert.True(t, bytes.Equal(b, data), "the stored content is kept")
}

func testSizeMismatch(t *testing.T, s chat.FileStore) {
	for _, n := range []int{99, 101} {
		f := NewFile(100)
		err := s.PutFile(t.Context(), f, bytes.NewReader(content(t, n)))
		require.ErrorIs(t, err, chat.ErrInvalid, "%d bytes for a file of 100", n)
		_, err = s.File(t.Context(), f.ID)
		assert.ErrorIs(t, err, chat.ErrNotFound)
		// The id is free: the whole file can be stored after.
		require.NoError(t, s.PutFile(t.Context(), f, bytes.NewReader(content(t, 100))))
	}
}

// failing gives some bytes, then an error.
type failing struct{ n int }

var errRead = errors.New("filetest: the upload broke off")

func (r *failing) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, errRead
	}
	k := min(len(p), r.n)
	clear(p[:k])
	r.n -= k
	return k, nil
}

func testFailingReader(t *testing.T, s chat.FileStore) {
	f := NewFile(1000)
	err := s.PutFile(t.Context(), f, &failing{n: 500})
	require.ErrorIs(t, err, errRead)
	_, err = s.File(t.Context(), f.ID)
	assert.ErrorIs(t, err, chat.ErrNotFound)
}

func testInvalid(t *testing.T, s chat.FileStore) {
	for name, change := range map[string]func(*chat.File){
		"no id":           func(f *chat.File) { f.ID = uuid.Nil },
		"no conversation": func(f *chat.File) { f.ConversationID = uuid.Nil },
		"no name":         func(f *chat.File) { f.Name = "" },
		"no type":         func(f *chat.File) { f.ContentType = "" },
		"bad name":        func(f *chat.File) { f.Name = "a\x00b" },
		"no author":       func(f *chat.File) { f.Author = chat.Author{} },
		"no time":         func(f *chat.File) { f.CreatedAt = time.Time{} },
	} {
		f := NewFile(3)
		change(&f)
		err := s.PutFile(t.Context(), f, bytes.NewReader([]byte("abc")))
		assert.ErrorIs(t, err, chat.ErrInvalid, name)
		if f.ID != uuid.Nil {
			_, err = s.File(t.Context(), f.ID)
			assert.ErrorIs(t, err, chat.ErrNotFound, name)
		}
	}
}

func testDelete(t *testing.T, s chat.FileStore) {
	f, _ := put(t, s, 10)
	keep, kb := put(t, s, 10)
	require.NoError(t, s.DeleteFile(t.Context(), f.ID))
	_, err := s.File(t.Context(), f.ID)
	assert.ErrorIs(t, err, chat.ErrNotFound)
	_, _, err = s.OpenFile(t.Context(), f.ID)
	assert.ErrorIs(t, err, chat.ErrNotFound)
	assert.ErrorIs(t, s.DeleteFile(t.Context(), f.ID), chat.ErrNotFound)
	_, data := read(t, s, keep.ID)
	assert.True(t, bytes.Equal(kb, data), "deleting one file leaves the others")
}

func testDoneContext(t *testing.T, s chat.FileStore) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	f := NewFile(3)
	assert.ErrorIs(t, s.PutFile(ctx, f, bytes.NewReader([]byte("abc"))), context.Canceled)
	_, err := s.File(t.Context(), f.ID)
	assert.ErrorIs(t, err, chat.ErrNotFound, "a cancelled put writes nothing")
	stored, _ := put(t, s, 3)
	_, err = s.File(ctx, stored.ID)
	assert.ErrorIs(t, err, context.Canceled)
	_, _, err = s.OpenFile(ctx, stored.ID)
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, s.DeleteFile(ctx, stored.ID), context.Canceled)
	_, err = s.File(t.Context(), stored.ID)
	assert.NoError(t, err, "a cancelled delete deletes nothing")
}

func testConcurrent(t *testing.T, s chat.FileStore) {
	f := NewFile(256)
	errs := make(chan error, 4)
	for range 4 {
		go func() { errs <- s.PutFile(context.Background(), f, bytes.NewReader(make([]byte, 256))) }()
	}
	var stored, conflicts int
	for range 4 {
		switch err := <-errs; {
		case err == nil:
			stored++
		case errors.Is(err, chat.ErrConflict):
			conflicts++
		default:
			t.Errorf("a concurrent put of one id: %v", err)
		}
	}
	assert.Equal(t, 1, stored, "exactly one of the puts of one id is stored")
	assert.Equal(t, 3, conflicts)
}
