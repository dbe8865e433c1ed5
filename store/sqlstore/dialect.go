package sqlstore

import (
	"errors"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

// Dialect is the SQL flavour of a database: SQLite, Postgres or MySQL.
type Dialect struct {
	name string
}

// The dialects sqlstore speaks.
var (
	// SQLite is SQLite 3 through modernc.org/sqlite (driver name "sqlite").
	SQLite = Dialect{"sqlite"}
	// Postgres is PostgreSQL 12 or later through github.com/jackc/pgx/v5/stdlib
	// (driver name "pgx").
	Postgres = Dialect{"postgres"}
	// MySQL is MySQL 8 or MariaDB 10.6 or later through
	// github.com/go-sql-driver/mysql (driver name "mysql").
	MySQL = Dialect{"mysql"}
)

// String returns the dialect's name.
func (d Dialect) String() string { return d.name }

func (d Dialect) valid() bool { return d == SQLite || d == Postgres || d == MySQL }

// rebind turns the ? placeholders of q into $1, $2... for PostgreSQL.
func (d Dialect) rebind(q string) string {
	if d != Postgres {
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
func (d Dialect) forUpdate() string {
	if d == SQLite {
		return ""
	}
	return " FOR UPDATE"
}

// byteOrder makes ORDER BY on a text column compare bytes.
func (d Dialect) byteOrder(col string) string {
	if d == Postgres {
		return col + ` COLLATE "C"`
	}
	return col
}

// upsert returns the clause that turns an INSERT into a replace of the row
// with the same primary key.
func (d Dialect) upsert(cols ...string) string {
	var b strings.Builder
	if d == MySQL {
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

// Kinds of constraint violation that dbErr translates.
const (
	otherError = iota
	uniqueViolation
	foreignKeyViolation
)

// constraint classifies err: a unique or primary key violation, a foreign
// key violation, or something else.
func constraint(err error) int {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505":
			return uniqueViolation
		case "23503":
			return foreignKeyViolation
		}
		return otherError
	}
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		switch my.Number {
		case 1062:
			return uniqueViolation
		case 1452, 1216:
			return foreignKeyViolation
		}
		return otherError
	}
	var lite interface{ Code() int }
	if errors.As(err, &lite) {
		switch lite.Code() {
		case 1555, 2067: // SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_UNIQUE
			return uniqueViolation
		case 787: // SQLITE_CONSTRAINT_FOREIGNKEY
			return foreignKeyViolation
		}
	}
	return otherError
}

// sqliteBusy reports whether err is SQLite's SQLITE_BUSY, in any of its
// extended forms.
func sqliteBusy(err error) bool {
	var lite interface{ Code() int }
	return errors.As(err, &lite) && lite.Code()&0xff == 5
}
