package sqlstore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
)

// A shop that migrates from a deploy step opens the store with SkipMigrate
// and calls Migrate there. Migrate is safe to run from several processes at
// once and does nothing when the schema is up to date.
func ExampleStore_Migrate() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "parley-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	store, err := sqlite.Open(ctx, filepath.Join(dir, "parley.db"), sqlstore.Config{SkipMigrate: true})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close(ctx)
	var n int
	err = store.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM parley_messages").Scan(&n)
	fmt.Println("before Migrate, the tables exist:", err == nil)

	if err := store.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	if err := store.Migrate(ctx); err != nil { // a second run changes nothing
		log.Fatal(err)
	}
	err = store.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM parley_messages").Scan(&n)
	fmt.Println("after Migrate:", n, "messages", err)
	// Output:
	// before Migrate, the tables exist: false
	// after Migrate: 0 messages <nil>
}
