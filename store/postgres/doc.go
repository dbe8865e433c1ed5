// Package postgres runs Parley's store in a PostgreSQL database, through
// github.com/jackc/pgx/v5. It is the only store package that compiles pgx,
// and it compiles no other driver.
//
// The shop opens the database with the "pgx" driver, which importing this
// package registers, and keeps owning it; Parley's tables live beside its
// own, their names starting with Config.TablePrefix:
//
//	db, err := sql.Open("pgx", os.Getenv("DATABASE_URL"))
//	if err != nil {
//		return err
//	}
//	db.SetMaxOpenConns(16)
//	db.SetMaxIdleConns(16)
//	store, err := postgres.Open(ctx, db, sqlstore.Config{TablePrefix: "chat_"})
//	if err != nil {
//		return err
//	}
//	defer store.Close(ctx) // db stays open for the shop
//
// The store is a [sqlstore.Store]; see package sqlstore for what it does,
// its migrations and the Config fields. PostgreSQL 12 or later.
package postgres
