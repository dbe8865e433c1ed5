package disk_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/filestore/disk"
	"github.com/parleychat/parley/filestore/filetest"
)

func TestConformance(t *testing.T) {
	s, err := disk.New(t.TempDir())
	require.NoError(t, err)
	filetest.Run(t, func(*testing.T) chat.FileStore { return s })
}

// TestNew refuses a directory that is missing or a regular file.
func TestNew(t *testing.T) {
	dir := t.TempDir()
	_, err := disk.New(filepath.Join(dir, "missing"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err = disk.New(file)
	assert.ErrorIs(t, err, chat.ErrInvalid)
	_, err = disk.New("")
	assert.ErrorIs(t, err, chat.ErrInvalid)
}
