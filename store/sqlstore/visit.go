package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// visitSQL names the tables of visits in a query template; the other
// placeholders are left to s.sql.
func (s *Store) visitSQL(query string) string {
	return strings.NewReplacer("{visits}", s.prefix+"visits", "{visit_leases}", s.prefix+"visit_leases",
		"{invitations}", s.prefix+"invitations").Replace(query)
}

// Templates of the visit queries.
const (
	visitColumns      = `id, visitor_id, began_at, last_active_at, ends_at`
	invitationColumns = `id, rule, body, status, at, conversation_id`
	liveLease         = `EXISTS (SELECT 1 FROM {visit_leases} l WHERE l.visitor_id = v.visitor_id AND l.expires_at > ?)`
)

func scanVisit(sc interface{ Scan(...any) error }) (chat.Visit, error) {
	var id, visitor []byte
	var began, active, ends int64
	if err := sc.Scan(&id, &visitor, &began, &active, &ends); err != nil {
		return chat.Visit{}, err
	}
	v := chat.Visit{BeganAt: time.UnixMicro(began).UTC(), LastActiveAt: time.UnixMicro(active).UTC(), EndsAt: time.UnixMicro(ends).UTC()}
	var err error
	if v.ID, err = scanID(id); err != nil {
		return chat.Visit{}, err
	}
	v.VisitorID, err = scanID(visitor)
	return v, err
}

// scanInvitation reads invitationColumns, after any columns before them
// that extra receives.
func scanInvitation(sc interface{ Scan(...any) error }, extra ...any) (chat.Invitation, error) {
	var id, rule, conv []byte
	var at int64
	var inv chat.Invitation
	if err := sc.Scan(append(extra, &id, &rule, &inv.Body, &inv.Status, &at, &conv)...); err != nil {
		return chat.Invitation{}, err
	}
	inv.Rule, inv.At = string(rule), time.UnixMicro(at).UTC()
	var err error
	if inv.ID, err = scanID(id); err != nil {
		return chat.Invitation{}, err
	}
	if conv != nil {
		inv.ConversationID, err = scanID(conv)
	}
	return inv, err
}

func optionalID(id uuid.UUID) any {
	if id == uuid.Nil {
		return nil
	}
	return idBytes(id)
}

// StartVisit implements chat.Store. The insert that does nothing when the
// visitor has a visit makes concurrent starts wait for one another; the
// locked read then sees the visit the first one made.
func (s *Store) StartVisit(ctx context.Context, l chat.VisitLease) (chat.Visit, error) {
	if err := check(ctx, l.Validate()); err != nil {
		return chat.Visit{}, err
	}
	if err := s.lockWrites(ctx); err != nil {
		return chat.Visit{}, err
	}
	defer s.unlockWrites()
	at, until := chat.Timestamp(l.At), chat.Timestamp(l.Until)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return chat.Visit{}, s.dbErr("starting a visit", err)
	}
	defer tx.Rollback()
	v, err := s.startVisit(ctx, tx, l, at, until)
	if err != nil {
		return chat.Visit{}, s.dbErr("starting a visit", err)
	}
	return v, s.dbErr("starting a visit", tx.Commit())
}

func (s *Store) startVisit(ctx context.Context, tx *sql.Tx, l chat.VisitLease, at, until time.Time) (chat.Visit, error) {
	visitor := idBytes(l.VisitorID)
	insert := `INSERT INTO {visits} (` + visitColumns + `) VALUES (?, ?, ?, ?, ?) ON CONFLICT (visitor_id) DO NOTHING`
	if s.dialect == mysql {
		insert = `INSERT INTO {visits} (` + visitColumns + `) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE visitor_id = visitor_id`
	}
	if _, err := s.txExec(ctx, tx, s.visitSQL(insert), idBytes(l.NewID), visitor, at.UnixMicro(), at.UnixMicro(), until.UnixMicro()); err != nil {
		return chat.Visit{}, err
	}
	v, err := scanVisit(s.txQueryRow(ctx, tx, s.visitSQL(`SELECT `+visitColumns+` FROM {visits} WHERE visitor_id = ?`+s.dialect.forUpdate()), visitor))
	if err != nil {
		return chat.Visit{}, err
	}
	if v.ID != l.NewID && !v.EndsAt.After(at.Add(-l.Gap)) {
		// Away too long: a new visit replaces the old.
		if _, err := s.txExec(ctx, tx, s.visitSQL(`DELETE FROM {invitations} WHERE visit_id = ?`), idBytes(v.ID)); err != nil {
			return chat.Visit{}, err
		}
		v = chat.Visit{ID: l.NewID, VisitorID: l.VisitorID, BeganAt: at, LastActiveAt: at, EndsAt: until}
	}
	v.LastActiveAt = latest(v.LastActiveAt, at)
	v.EndsAt = latest(v.EndsAt, until)
	if _, err := s.txExec(ctx, tx, s.visitSQL(`UPDATE {visits} SET id = ?, began_at = ?, last_active_at = ?, ends_at = ? WHERE visitor_id = ?`),
		idBytes(v.ID), v.BeganAt.UnixMicro(), v.LastActiveAt.UnixMicro(), v.EndsAt.UnixMicro(), visitor); err != nil {
		return chat.Visit{}, err
	}
	if _, err := s.txExec(ctx, tx, s.visitSQL(s.leaseUpsert()), visitor, l.Holder, until.UnixMicro()); err != nil {
		return chat.Visit{}, err
	}
	v.Invitations, err = s.invitations(ctx, tx, v.ID)
	return v, err
}

// leaseUpsert is the template that sets a visitor lease's end.
func (s *Store) leaseUpsert() string {
	if s.dialect == mysql {
		return `INSERT INTO {visit_leases} (visitor_id, holder, expires_at) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE expires_at = VALUES(expires_at)`
	}
	return `INSERT INTO {visit_leases} (visitor_id, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (visitor_id, holder) DO UPDATE SET expires_at = excluded.expires_at`
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// invitations reads a visit's invitations, oldest first.
func (s *Store) invitations(ctx context.Context, tx *sql.Tx, visitID uuid.UUID) ([]chat.Invitation, error) {
	rows, err := tx.QueryContext(ctx, s.sql(s.visitSQL(`SELECT `+invitationColumns+` FROM {invitations} WHERE visit_id = ? ORDER BY at, id`)), idBytes(visitID))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []chat.Invitation
	for rows.Next() {
		inv, err := scanInvitation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	return out, rows.Err()
}

// RenewVisitLeases implements chat.Store.
func (s *Store) RenewVisitLeases(ctx context.Context, holder string, until time.Time, visitorIDs []uuid.UUID) error {
	if err := check(ctx, chat.CheckVisitRenewal(holder, until, visitorIDs)); err != nil || len(visitorIDs) == 0 {
		return err
	}
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWritesN(len(visitorIDs))
	end := chat.Timestamp(until).UnixMicro()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.dbErr("renewing visitor leases", err)
	}
	defer tx.Rollback()
	for _, id := range visitorIDs {
		res, err := s.txExec(ctx, tx, s.visitSQL(`UPDATE {visits} SET ends_at = CASE WHEN ends_at < ? THEN ? ELSE ends_at END WHERE visitor_id = ?`),
			end, end, idBytes(id))
		if err != nil {
			return s.dbErr("renewing visitor leases", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return s.dbErr("renewing visitor leases", err)
		} else if n == 0 && s.dialect != mysql {
			continue // no visit
		}
		if s.dialect == mysql {
			// MySQL counts only changed rows: look for the visit.
			var one int
			err := s.txQueryRow(ctx, tx, s.visitSQL(`SELECT 1 FROM {visits} WHERE visitor_id = ?`), idBytes(id)).Scan(&one)
			if err == sql.ErrNoRows {
				continue
			}
			if err != nil {
				return s.dbErr("renewing visitor leases", err)
			}
		}
		if _, err := s.txExec(ctx, tx, s.visitSQL(s.leaseUpsert()), idBytes(id), holder, end); err != nil {
			return s.dbErr("renewing visitor leases", err)
		}
	}
	return s.dbErr("renewing visitor leases", tx.Commit())
}

// ReleaseVisitLease implements chat.Store. The visit's row is locked
// first, so that two holders releasing at once see each other's release.
func (s *Store) ReleaseVisitLease(ctx context.Context, visitorID uuid.UUID, holder string, at time.Time) (bool, error) {
	if err := check(ctx, chat.CheckVisitRelease(visitorID, holder, at)); err != nil {
		return false, err
	}
	if err := s.lockWrites(ctx); err != nil {
		return false, err
	}
	defer s.unlockWrites()
	t, visitor := chat.Timestamp(at).UnixMicro(), idBytes(visitorID)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, s.dbErr("releasing a visitor lease", err)
	}
	defer tx.Rollback()
	var ends int64
	switch err := s.txQueryRow(ctx, tx, s.visitSQL(`SELECT ends_at FROM {visits} WHERE visitor_id = ?`+s.dialect.forUpdate()), visitor).Scan(&ends); {
	case err == sql.ErrNoRows:
	case err != nil:
		return false, s.dbErr("releasing a visitor lease", err)
	}
	if _, err := s.txExec(ctx, tx, s.visitSQL(`UPDATE {visit_leases} SET expires_at = ? WHERE visitor_id = ? AND holder = ? AND expires_at > ?`),
		t, visitor, holder, t); err != nil {
		return false, s.dbErr("releasing a visitor lease", err)
	}
	var live int
	if err := s.txQueryRow(ctx, tx, s.visitSQL(`SELECT COUNT(*) FROM {visit_leases} WHERE visitor_id = ? AND expires_at > ?`),
		visitor, t).Scan(&live); err != nil {
		return false, s.dbErr("releasing a visitor lease", err)
	}
	if live == 0 {
		if _, err := s.txExec(ctx, tx, s.visitSQL(`UPDATE {visits} SET ends_at = ? WHERE visitor_id = ? AND ends_at > ?`), t, visitor, t); err != nil {
			return false, s.dbErr("releasing a visitor lease", err)
		}
	}
	return live > 0, s.dbErr("releasing a visitor lease", tx.Commit())
}

// Visit implements chat.Store.
func (s *Store) Visit(ctx context.Context, visitorID uuid.UUID) (chat.Visit, error) {
	if err := ctx.Err(); err != nil {
		return chat.Visit{}, err
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: s.dialect != sqlite})
	if err != nil {
		return chat.Visit{}, s.dbErr("reading a visit", err)
	}
	defer tx.Rollback()
	v, err := scanVisit(tx.QueryRowContext(ctx, s.sql(s.visitSQL(`SELECT `+visitColumns+` FROM {visits} WHERE visitor_id = ?`)), idBytes(visitorID)))
	if err == sql.ErrNoRows {
		return chat.Visit{}, notFound("visit of visitor", visitorID)
	}
	if err != nil {
		return chat.Visit{}, s.dbErr("reading a visit", err)
	}
	if v.Invitations, err = s.invitations(ctx, tx, v.ID); err != nil {
		return chat.Visit{}, s.dbErr("reading a visit", err)
	}
	return v, s.dbErr("reading a visit", tx.Commit())
}

// LiveVisits implements chat.Store.
func (s *Store) LiveVisits(ctx context.Context, at time.Time) ([]chat.Visit, error) {
	if err := check(ctx, chat.CheckVisitTimes(at)); err != nil {
		return nil, err
	}
	t := chat.Timestamp(at).UnixMicro()
	rows, err := s.query(ctx, s.visitSQL(`SELECT `+visitColumns+` FROM {visits} v WHERE `+liveLease+` ORDER BY began_at, visitor_id`), t)
	if err != nil {
		return nil, s.dbErr("listing live visits", err)
	}
	out := []chat.Visit{}
	index := make(map[uuid.UUID]int)
	for rows.Next() {
		v, err := scanVisit(rows)
		if err != nil {
			rows.Close()
			return nil, s.dbErr("listing live visits", err)
		}
		index[v.ID] = len(out)
		out = append(out, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, s.dbErr("listing live visits", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	rows, err = s.query(ctx, s.visitSQL(`SELECT i.visit_id, i.`+strings.ReplaceAll(invitationColumns, ", ", ", i.")+`
		FROM {invitations} i JOIN {visits} v ON v.id = i.visit_id WHERE `+liveLease+` ORDER BY i.at, i.id`), t)
	if err != nil {
		return nil, s.dbErr("listing live visits", err)
	}
	defer rows.Close()
	for rows.Next() {
		var visit []byte
		inv, err := scanInvitation(rows, &visit)
		if err != nil {
			return nil, s.dbErr("listing live visits", err)
		}
		id, err := scanID(visit)
		if err != nil {
			return nil, err
		}
		if i, ok := index[id]; ok { // a visit that began since the first read is left out
			out[i].Invitations = append(out[i].Invitations, inv)
		}
	}
	return out, s.dbErr("listing live visits", rows.Err())
}

// TouchVisit implements chat.Store.
func (s *Store) TouchVisit(ctx context.Context, visitID uuid.UUID, at time.Time) error {
	if err := check(ctx, chat.CheckVisitTimes(at)); err != nil {
		return err
	}
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	t := chat.Timestamp(at).UnixMicro()
	if _, err := s.exec(ctx, s.visitSQL(`UPDATE {visits} SET last_active_at = ? WHERE id = ? AND last_active_at < ?`), t, idBytes(visitID), t); err != nil {
		return s.dbErr("touching a visit", err)
	}
	var n int
	if err := s.queryRow(ctx, s.visitSQL(`SELECT COUNT(*) FROM {visits} WHERE id = ?`), idBytes(visitID)).Scan(&n); err != nil {
		return s.dbErr("touching a visit", err)
	}
	if n == 0 {
		return notFound("visit", visitID)
	}
	return nil
}

// AddInvitation implements chat.Store. The visit's row is locked, so that
// instances adding at once see each other's invitation.
func (s *Store) AddInvitation(ctx context.Context, visitID uuid.UUID, inv chat.Invitation) error {
	if err := check(ctx, inv.Validate()); err != nil {
		return err
	}
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.dbErr("adding an invitation", err)
	}
	defer tx.Rollback()
	var one int
	switch err := s.txQueryRow(ctx, tx, s.visitSQL(`SELECT 1 FROM {visits} WHERE id = ?`+s.dialect.forUpdate()), idBytes(visitID)).Scan(&one); {
	case err == sql.ErrNoRows:
		return notFound("visit", visitID)
	case err != nil:
		return s.dbErr("adding an invitation", err)
	}
	var taken int
	if err := s.txQueryRow(ctx, tx, s.visitSQL(`SELECT COUNT(*) FROM {invitations} WHERE visit_id = ? AND (rule = ? OR status = ?)`),
		idBytes(visitID), inv.Rule, chat.InvitationPending).Scan(&taken); err != nil {
		return s.dbErr("adding an invitation", err)
	}
	if taken > 0 {
		return fmt.Errorf("%w: the visit has an invitation of rule %.64q or a pending one", chat.ErrConflict, inv.Rule)
	}
	if _, err := s.txExec(ctx, tx, s.visitSQL(`INSERT INTO {invitations} (visit_id, `+invitationColumns+`) VALUES (?, ?, ?, ?, ?, ?, NULL)`),
		idBytes(visitID), idBytes(inv.ID), inv.Rule, inv.Body, inv.Status, chat.Timestamp(inv.At).UnixMicro()); err != nil {
		return s.dbErr("adding an invitation", err)
	}
	return s.dbErr("adding an invitation", tx.Commit())
}

// UpdateInvitation implements chat.Store.
func (s *Store) UpdateInvitation(ctx context.Context, id uuid.UUID, status chat.InvitationStatus, conversationID uuid.UUID) (chat.Invitation, error) {
	if err := check(ctx, status.Validate()); err != nil {
		return chat.Invitation{}, err
	}
	if err := s.lockWrites(ctx); err != nil {
		return chat.Invitation{}, err
	}
	defer s.unlockWrites()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return chat.Invitation{}, s.dbErr("updating an invitation", err)
	}
	defer tx.Rollback()
	inv, err := scanInvitation(s.txQueryRow(ctx, tx, s.visitSQL(`SELECT `+invitationColumns+` FROM {invitations} WHERE id = ?`+s.dialect.forUpdate()), idBytes(id)))
	switch {
	case err == sql.ErrNoRows:
		return chat.Invitation{}, notFound("invitation", id)
	case err != nil:
		return chat.Invitation{}, s.dbErr("updating an invitation", err)
	case inv.Status == status:
		return inv, nil
	case !inv.Status.CanBecome(status):
		return inv, fmt.Errorf("%w: an invitation %s cannot become %s", chat.ErrConflict, inv.Status, status)
	}
	inv.Status = status
	if inv.ConversationID == uuid.Nil {
		inv.ConversationID = conversationID
	}
	if _, err := s.txExec(ctx, tx, s.visitSQL(`UPDATE {invitations} SET status = ?, conversation_id = ? WHERE id = ?`),
		inv.Status, optionalID(inv.ConversationID), idBytes(id)); err != nil {
		return chat.Invitation{}, s.dbErr("updating an invitation", err)
	}
	return inv, s.dbErr("updating an invitation", tx.Commit())
}

// PruneVisits implements chat.Store.
func (s *Store) PruneVisits(ctx context.Context, at, endedBefore time.Time) error {
	if err := check(ctx, chat.CheckVisitTimes(at, endedBefore)); err != nil {
		return err
	}
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	t, before := chat.Timestamp(at).UnixMicro(), chat.Timestamp(endedBefore).UnixMicro()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.dbErr("pruning visits", err)
	}
	defer tx.Rollback()
	for _, q := range []string{
		`DELETE FROM {invitations} WHERE visit_id IN (SELECT v.id FROM {visits} v WHERE v.ends_at < ? AND NOT ` + liveLease + `)`,
		`DELETE FROM {visits} WHERE ends_at < ? AND NOT EXISTS (SELECT 1 FROM {visit_leases} l WHERE l.visitor_id = {visits}.visitor_id AND l.expires_at > ?)`,
	} {
		if _, err := s.txExec(ctx, tx, s.visitSQL(q), before, t); err != nil {
			return s.dbErr("pruning visits", err)
		}
	}
	if _, err := s.txExec(ctx, tx, s.visitSQL(`DELETE FROM {visit_leases} WHERE expires_at <= ?`), t); err != nil {
		return s.dbErr("pruning visits", err)
	}
	return s.dbErr("pruning visits", tx.Commit())
}
