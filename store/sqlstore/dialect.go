package sqlstore

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/parleychat/parley/chat"
)

// Dialect is what a Store needs to know of its database beyond what
// database/sql says: which SQL the database speaks, and what its driver's
// errors mean. It is all that ties the store to a driver, so sqlstore
// imports none: the package of each database provides its Dialect and an
// Open that passes it here, and a shop compiles only the driver it uses.
type Dialect struct {
	// Name is the SQL the database speaks, and names the directory of
	// its migrations: "sqlite" (SQLite 3), "postgres" (PostgreSQL 12 or
	// later) or "mysql" (MySQL 8, MariaDB 10.6 or later).
	Name string
	// Classify tells what an error of the driver means for the store:
	// chat.ErrConflict for a unique or primary key violation,
	// chat.ErrNotFound for a foreign key violation (a row that refers to
	// one that is not there), nil for any other error. The store wraps
	// the error it returns in what Classify says, so callers can branch
	// with errors.Is.
	Classify func(error) error
}

// flavour is the SQL a store writes: a valid Dialect.Name.
type flavour string

// The flavours of SQL the store writes.
const (
	sqlite   flavour = "sqlite"
	postgres flavour = "postgres"
	mysql    flavour = "mysql"
)

// validate returns an error wrapping chat.ErrInvalid unless d can open a
// store.
func (d Dialect) validate() error {
	switch flavour(d.Name) {
	case sqlite, postgres, mysql:
	default:
		return fmt.Errorf("%w: sqlstore: Dialect.Name %.20q is none of sqlite, postgres and mysql", chat.ErrInvalid, d.Name)
	}
	if d.Classify == nil {
		return fmt.Errorf("%w: sqlstore: Dialect.Classify is nil", chat.ErrInvalid)
	}
	return nil
}

// rebind turns the ? placeholders of q into $1, $2... for PostgreSQL.
func (d flavour) rebind(q string) string {
	if d != postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// forUpdate is the locking clause that keeps another process's writer off
// the rows until commit. SQLite locks the whole database instead.
func (d flavour) forUpdate() string {
	if d == sqlite {
		return ""
	}
	return " FOR UPDATE"
}

// byteOrder makes ORDER BY on a text column compare bytes.
func (d flavour) byteOrder(col string) string {
	if d == postgres {
		return col + ` COLLATE "C"`
	}
	return col
}

// upsert returns the clause that turns an INSERT into a replace of the row
// with the same primary key.
func (d flavour) upsert(cols ...string) string {
	var b strings.Builder
	if d == mysql {
		b.WriteString(" ON DUPLICATE KEY UPDATE ")
		for i, c := range cols {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(c + " = VALUES(" + c + ")")
		}
		return b.String()
	}
	b.WriteString(" ON CONFLICT (id) DO UPDATE SET ")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c + " = excluded." + c)
	}
	return b.String()
}
