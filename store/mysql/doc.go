// Package mysql runs Parley's store in a MySQL 8 or MariaDB 10.6 (or
// later) database, through github.com/go-sql-driver/mysql. It is the only
// store package that compiles that driver, and it compiles no other.
//
// The shop opens the database with the "mysql" driver, which importing
// this package registers, and keeps owning it; Parley's tables live beside
// its own, their names starting with Config.TablePrefix:
//
//	db, err := sql.Open("mysql", "shop:secret@tcp(db:3306)/shop")
//	if err != nil {
//		return err
//	}
//	db.SetMaxOpenConns(16)
//	db.SetMaxIdleConns(16)
//	store, err := mysql.Open(ctx, db, sqlstore.Config{TablePrefix: "chat_"})
//	if err != nil {
//		return err
//	}
//	defer store.Close(ctx) // db stays open for the shop
//
// The DSN needs no special parameters: times are stored as integers, so
// parseTime and the server's time zone do not matter, and statements are
// sent one at a time, so multiStatements is not needed. Keep the
// connection's character set at the driver's default, utf8mb4.
//
// The store is a [sqlstore.Store]; see package sqlstore for what it does,
// its migrations and the Config fields.
package mysql
