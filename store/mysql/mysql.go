package mysql

import (
	"context"
	"database/sql"
	"errors"

	driver "github.com/go-sql-driver/mysql" // registers the "mysql" driver

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/sqlstore"
)

// Open returns a store over db, a MySQL or MariaDB database the shop opened
// with the "mysql" driver and keeps owning: Close leaves it open unless
// cfg.CloseDB is set. It is [sqlstore.Open] with this package's Dialect;
// see there for the migrations Open runs and for sizing db's pool.
func Open(ctx context.Context, db *sql.DB, cfg sqlstore.Config) (*sqlstore.Store, error) {
	return sqlstore.Open(ctx, db, Dialect(), cfg)
}

// Dialect returns what sqlstore needs to know of MySQL and MariaDB through
// github.com/go-sql-driver/mysql.
func Dialect() sqlstore.Dialect {
	return sqlstore.Dialect{Name: "mysql", Classify: classify}
}

// classify reads the server's error numbers.
func classify(err error) error {
	var e *driver.MySQLError
	if !errors.As(err, &e) {
		return nil
	}
	switch e.Number {
	case 1062: // ER_DUP_ENTRY
		return chat.ErrConflict
	case 1452, 1216: // ER_NO_REFERENCED_ROW_2, ER_NO_REFERENCED_ROW
		return chat.ErrNotFound
	}
	return nil
}
