// Package disk is a chat.FileStore over a directory of the local file
// system. Each file is two files in a subdirectory named after the end of
// its id: the content, and its record as JSON. Both are written under a
// temporary name and then linked into place, the record last, so a file
// is found only once it is whole, and a crash leaves at most an orphaned
// temporary file behind.
//
// Several instances may share the store only through one directory they
// all mount (NFS, a shared volume); otherwise use the SQL store.
package disk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// Store keeps files in a directory. It is safe for concurrent use, also
// by several processes sharing the directory.
type Store struct {
	dir string
}

var _ chat.FileStore = (*Store)(nil)

// New returns a Store over dir, which must exist and be a directory. It
// writes nothing until the first PutFile.
func New(dir string) (*Store, error) {
	if dir == "" {
		return nil, fmt.Errorf("%w: disk: the directory is empty", chat.ErrInvalid)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("disk: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%w: disk: %s is not a directory", chat.ErrInvalid, dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("disk: %w", err)
	}
	return &Store{dir: abs}, nil
}

// paths returns the directory of id and its content and record files.
// The directory is named after the id's last byte, which is random in the
// version 7 ids Parley makes, so files spread over 256 directories.
func (s *Store) paths(id uuid.UUID) (dir, data, record string) {
	dir = filepath.Join(s.dir, fmt.Sprintf("%02x", id[15]))
	return dir, filepath.Join(dir, id.String()+".data"), filepath.Join(dir, id.String()+".json")
}

// PutFile implements chat.FileStore.
func (s *Store) PutFile(ctx context.Context, f chat.File, r io.Reader) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := f.Validate(); err != nil {
		return err
	}
	f.CreatedAt = chat.Timestamp(f.CreatedAt)
	dir, data, record := s.paths(f.ID)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("disk: %w", err)
	}
	if _, err := os.Stat(record); err == nil {
		return fmt.Errorf("%w: file %s exists", chat.ErrConflict, f.ID)
	}
	tmpData, err := s.writeTemp(dir, func(w io.Writer) error {
		n, err := io.Copy(w, r)
		if err != nil {
			return err
		}
		if n != f.Size {
			return fmt.Errorf("%w: file %s is %d bytes, not the %d its record says", chat.ErrInvalid, f.ID, n, f.Size)
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer os.Remove(tmpData)
	rec, err := json.Marshal(f)
	if err != nil {
		return err
	}
	tmpRecord, err := s.writeTemp(dir, func(w io.Writer) error { _, err := w.Write(rec); return err })
	if err != nil {
		return err
	}
	defer os.Remove(tmpRecord)
	if err := ctx.Err(); err != nil {
		return err
	}
	// Link refuses an existing name, so of two puts of one id only one
	// claims the content's name; the other is the conflict.
	if err := os.Link(tmpData, data); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: file %s exists", chat.ErrConflict, f.ID)
		}
		return fmt.Errorf("disk: %w", err)
	}
	if err := os.Link(tmpRecord, record); err != nil {
		_ = os.Remove(data)
		return fmt.Errorf("disk: %w", err)
	}
	return nil
}

// writeTemp writes a new temporary file in dir with write, syncs it, and
// returns its name. On failure nothing is left behind.
func (s *Store) writeTemp(dir string, write func(io.Writer) error) (string, error) {
	tmp, err := os.CreateTemp(dir, ".put-*")
	if err != nil {
		return "", fmt.Errorf("disk: %w", err)
	}
	err = write(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("disk: %w", cerr)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return "", err
	}
	return tmp.Name(), nil
}

// File implements chat.FileStore.
func (s *Store) File(ctx context.Context, id uuid.UUID) (chat.File, error) {
	if err := ctx.Err(); err != nil {
		return chat.File{}, err
	}
	_, _, record := s.paths(id)
	b, err := os.ReadFile(record)
	if errors.Is(err, fs.ErrNotExist) {
		return chat.File{}, fmt.Errorf("%w: file %s", chat.ErrNotFound, id)
	}
	if err != nil {
		return chat.File{}, fmt.Errorf("disk: %w", err)
	}
	var f chat.File
	if err := json.Unmarshal(b, &f); err != nil {
		return chat.File{}, fmt.Errorf("disk: the record of file %s: %w", id, err)
	}
	f.CreatedAt = f.CreatedAt.UTC()
	return f, nil
}

// OpenFile implements chat.FileStore.
func (s *Store) OpenFile(ctx context.Context, id uuid.UUID) (chat.File, io.ReadCloser, error) {
	f, err := s.File(ctx, id)
	if err != nil {
		return chat.File{}, nil, err
	}
	_, data, _ := s.paths(id)
	rc, err := os.Open(data)
	if errors.Is(err, fs.ErrNotExist) { // deleted since its record was read
		return chat.File{}, nil, fmt.Errorf("%w: file %s", chat.ErrNotFound, id)
	}
	if err != nil {
		return chat.File{}, nil, fmt.Errorf("disk: %w", err)
	}
	return f, rc, nil
}

// DeleteFile implements chat.FileStore. The record goes first, so the file
// is not found from then on even if removing the content fails.
func (s *Store) DeleteFile(ctx context.Context, id uuid.UUID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, data, record := s.paths(id)
	if err := os.Remove(record); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: file %s", chat.ErrNotFound, id)
	} else if err != nil {
		return fmt.Errorf("disk: %w", err)
	}
	if err := os.Remove(data); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("disk: %w", err)
	}
	return nil
}
