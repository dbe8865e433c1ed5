// Package mysqltest gives a test a MySQL or MariaDB database of its own,
// so that tests running at once on one server do not see each other's
// tables.
package mysqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"testing"

	"github.com/go-sql-driver/mysql" // also the "mysql" driver
)

// EnvDSN is the environment variable that holds the test server's DSN.
const EnvDSN = "PARLEY_TEST_MYSQL"

// Database creates a database with a fresh name on the server in EnvDSN,
// dropped when the test ends, and returns the DSN with that database
// selected. It skips the test, naming the variable, when EnvDSN is unset.
func Database(tb testing.TB, prefix string) string {
	tb.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		tb.Skip(EnvDSN + " is not set (e.g. root@tcp(127.0.0.1:3306)/test)")
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		tb.Fatalf("%s: %v", EnvDSN, err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := prefix + hex.EncodeToString(b[:])
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.ExecContext(tb.Context(), "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("creating the database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		if _, err := db.ExecContext(context.Background(), "DROP DATABASE "+name); err != nil {
			tb.Errorf("dropping the database %s: %v", name, err)
		}
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}
