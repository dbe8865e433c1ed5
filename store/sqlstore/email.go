package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// Email counts are kept per scope (a visitor or an address), subject and
// UTC day; older days are deleted as new ones are counted.
const (
	scopeVisitor = "visitor"
	scopeAddress = "address"
)

// emailSQL writes a statement of the email tables for the store's prefix
// and dialect.
func (s *Store) emailSQL(format string) string {
	p := s.prefix
	return s.dialect.rebind(fmt.Sprintf(format, p+"email_counts", p+"email_proofs", p+"email_confirmations", p+"email_suppressions"))
}

// insertIgnore returns the clause that makes an INSERT leave an existing
// row with the same key as it is.
func (d flavour) insertIgnore(keys, col string) string {
	if d == mysql {
		return " ON DUPLICATE KEY UPDATE " + col + " = " + col
	}
	return " ON CONFLICT (" + keys + ") DO NOTHING"
}

// utcDay numbers the UTC day of t.
func utcDay(t time.Time) int64 { return t.Unix() / (24 * 60 * 60) }

// CountEmail implements chat.Store.
func (s *Store) CountEmail(ctx context.Context, visitorID uuid.UUID, address string, at time.Time, limits chat.EmailLimits) error {
	if err := check(ctx, errors.Join(chat.CheckAddress(address), limits.Validate(), nilID(visitorID))); err != nil {
		return err
	}
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	day := utcDay(at)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.dbErr("counting an email", err)
	}
	defer tx.Rollback()
	// Each count is made sure to exist, then raised only while below its
	// limit: the UPDATE's row lock makes check and raise one step. Visitor
	// rows are always locked before address rows, so that two of these
	// never wait for each other.
	for _, c := range []struct {
		scope, subject string
		limit          int
	}{{scopeVisitor, visitorID.String(), limits.PerVisitor}, {scopeAddress, address, limits.PerAddress}} {
		if _, err := tx.ExecContext(ctx, s.emailSQL(`INSERT INTO %[1]s (scope, subject, day, sent) VALUES (?, ?, ?, 0)`+
			s.dialect.insertIgnore("scope, subject, day", "sent")), c.scope, c.subject, day); err != nil {
			return s.dbErr("counting an email", err)
		}
		res, err := tx.ExecContext(ctx, s.emailSQL(`UPDATE %[1]s SET sent = sent + 1 WHERE scope = ? AND subject = ? AND day = ? AND sent < ?`),
			c.scope, c.subject, day, c.limit)
		if err != nil {
			return s.dbErr("counting an email", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return s.dbErr("counting an email", err)
		} else if n == 0 {
			return fmt.Errorf("%w: %s %.64q was sent %d emails today", chat.ErrEmailLimit, c.scope, c.subject, c.limit)
		}
	}
	if err := tx.Commit(); err != nil {
		return s.dbErr("counting an email", err)
	}
	s.tidy(ctx, `DELETE FROM %[1]s WHERE day < ?`, day)
	return nil
}

// tidy runs a delete of rows no longer needed. It is housekeeping: a
// failure is logged and otherwise ignored.
func (s *Store) tidy(ctx context.Context, format string, arg int64) {
	if _, err := s.db.ExecContext(ctx, s.emailSQL(format), arg); err != nil {
		s.log.DebugContext(ctx, "sqlstore: deleting old email rows", "err", err)
	}
}

// ProveEmail implements chat.Store.
func (s *Store) ProveEmail(ctx context.Context, visitorID uuid.UUID, address string, at time.Time) error {
	if err := check(ctx, errors.Join(chat.CheckAddress(address), nilID(visitorID))); err != nil {
		return err
	}
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	_, err := s.prove(ctx, s.db, visitorID, address, at)
	return err
}

func (s *Store) prove(ctx context.Context, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, visitorID uuid.UUID, address string, at time.Time) (sql.Result, error) {
	res, err := db.ExecContext(ctx, s.emailSQL(`INSERT INTO %[2]s (visitor_id, address, proven_at) VALUES (?, ?, ?)`+
		s.dialect.insertIgnore("visitor_id, address", "proven_at")), idBytes(visitorID), address, chat.Timestamp(at).UnixMicro())
	return res, s.dbErr("proving an email address", err)
}

// EmailProven implements chat.Store.
func (s *Store) EmailProven(ctx context.Context, visitorID uuid.UUID, address string) (bool, error) {
	if err := check(ctx, chat.CheckAddress(address)); err != nil {
		return false, err
	}
	var one int
	err := s.db.QueryRowContext(ctx, s.emailSQL(`SELECT 1 FROM %[2]s WHERE visitor_id = ? AND address = ?`),
		idBytes(visitorID), address).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, s.dbErr("reading a proven email address", err)
}

// AddEmailConfirmation implements chat.Store.
func (s *Store) AddEmailConfirmation(ctx context.Context, c chat.EmailConfirmation) error {
	if err := check(ctx, c.Validate()); err != nil {
		return err
	}
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	var conv any
	if c.ConversationID != uuid.Nil {
		conv = idBytes(c.ConversationID)
	}
	_, err := s.db.ExecContext(ctx, s.emailSQL(`INSERT INTO %[3]s (token_hash, visitor_id, address, conversation_id, expires_at) VALUES (?, ?, ?, ?, ?)`),
		c.TokenHash, idBytes(c.VisitorID), c.Address, conv, chat.Timestamp(c.ExpiresAt).UnixMicro())
	return s.dbErr("storing an email confirmation", err)
}

// ConfirmEmail implements chat.Store.
func (s *Store) ConfirmEmail(ctx context.Context, tokenHash string, now time.Time) (chat.EmailConfirmation, error) {
	if err := ctx.Err(); err != nil {
		return chat.EmailConfirmation{}, err
	}
	if err := s.lockWrites(ctx); err != nil {
		return chat.EmailConfirmation{}, err
	}
	defer s.unlockWrites()
	nowMicros := chat.Timestamp(now).UnixMicro()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return chat.EmailConfirmation{}, s.dbErr("confirming an email address", err)
	}
	defer tx.Rollback()
	c := chat.EmailConfirmation{TokenHash: tokenHash}
	var visitor, conv []byte
	var expires int64
	err = tx.QueryRowContext(ctx, s.emailSQL(`SELECT visitor_id, address, conversation_id, expires_at FROM %[3]s WHERE token_hash = ? AND expires_at > ?`),
		tokenHash, nowMicros).Scan(&visitor, &c.Address, &conv, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return chat.EmailConfirmation{}, fmt.Errorf("%w: no pending confirmation with this token", chat.ErrNotFound)
	}
	if err != nil {
		return chat.EmailConfirmation{}, s.dbErr("confirming an email address", err)
	}
	// Of concurrent confirmations, the one whose DELETE takes the row wins;
	// the others delete nothing.
	res, err := tx.ExecContext(ctx, s.emailSQL(`DELETE FROM %[3]s WHERE token_hash = ? AND expires_at > ?`), tokenHash, nowMicros)
	if err != nil {
		return chat.EmailConfirmation{}, s.dbErr("confirming an email address", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return chat.EmailConfirmation{}, s.dbErr("confirming an email address", err)
	} else if n == 0 {
		return chat.EmailConfirmation{}, fmt.Errorf("%w: no pending confirmation with this token", chat.ErrNotFound)
	}
	if c.VisitorID, err = scanID(visitor); err != nil {
		return chat.EmailConfirmation{}, err
	}
	if conv != nil {
		if c.ConversationID, err = scanID(conv); err != nil {
			return chat.EmailConfirmation{}, err
		}
	}
	c.ExpiresAt = fromMicros(sql.NullInt64{Int64: expires, Valid: true})
	if _, err := s.prove(ctx, tx, c.VisitorID, c.Address, now); err != nil {
		return chat.EmailConfirmation{}, err
	}
	if err := tx.Commit(); err != nil {
		return chat.EmailConfirmation{}, s.dbErr("confirming an email address", err)
	}
	s.tidy(ctx, `DELETE FROM %[3]s WHERE expires_at <= ?`, nowMicros)
	return c, nil
}

// SuppressEmail implements chat.Store.
func (s *Store) SuppressEmail(ctx context.Context, sup chat.EmailSuppression) error {
	if err := check(ctx, sup.Validate()); err != nil {
		return err
	}
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	upsert := ` ON CONFLICT (address) DO UPDATE SET reason = excluded.reason, at = excluded.at`
	if s.dialect == mysql {
		upsert = ` ON DUPLICATE KEY UPDATE reason = VALUES(reason), at = VALUES(at)`
	}
	_, err := s.db.ExecContext(ctx, s.emailSQL(`INSERT INTO %[4]s (address, reason, at) VALUES (?, ?, ?)`+upsert),
		sup.Address, string(sup.Reason), chat.Timestamp(sup.At).UnixMicro())
	return s.dbErr("suppressing an email address", err)
}

// UnsuppressEmail implements chat.Store.
func (s *Store) UnsuppressEmail(ctx context.Context, address string) error {
	if err := check(ctx, chat.CheckAddress(address)); err != nil {
		return err
	}
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	res, err := s.db.ExecContext(ctx, s.emailSQL(`DELETE FROM %[4]s WHERE address = ?`), address)
	if err != nil {
		return s.dbErr("unsuppressing an email address", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.dbErr("unsuppressing an email address", err)
	}
	if n == 0 {
		return notFound("suppressed address", fmt.Sprintf("%.64q", address))
	}
	return nil
}

// EmailSuppression implements chat.Store.
func (s *Store) EmailSuppression(ctx context.Context, address string) (chat.EmailSuppression, error) {
	if err := check(ctx, chat.CheckAddress(address)); err != nil {
		return chat.EmailSuppression{}, err
	}
	sup := chat.EmailSuppression{Address: address}
	var reason string
	var at int64
	err := s.db.QueryRowContext(ctx, s.emailSQL(`SELECT reason, at FROM %[4]s WHERE address = ?`), address).Scan(&reason, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return chat.EmailSuppression{}, notFound("suppressed address", fmt.Sprintf("%.64q", address))
	}
	if err != nil {
		return chat.EmailSuppression{}, s.dbErr("reading a suppressed address", err)
	}
	sup.Reason, sup.At = chat.SuppressionReason(reason), fromMicros(sql.NullInt64{Int64: at, Valid: true})
	return sup, nil
}

func nilID(id uuid.UUID) error {
	if id == uuid.Nil {
		return fmt.Errorf("%w: visitor id is missing", chat.ErrInvalid)
	}
	return nil
}
