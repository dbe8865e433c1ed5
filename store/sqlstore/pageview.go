package sqlstore

import (
	"context"
	"database/sql"
	"slices"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// AddPageView implements chat.Store.
func (s *Store) AddPageView(ctx context.Context, p chat.PageView) error {
	if err := check(ctx, p.Validate()); err != nil {
		return err
	}
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	_, err := s.exec(ctx, `INSERT INTO {page_views} (id, visitor_id, url, title, referrer, at) VALUES (?, ?, ?, ?, ?, ?)`,
		idBytes(p.ID), idBytes(p.VisitorID), p.URL, p.Title, p.Referrer, chat.Timestamp(p.At).UnixMicro())
	return s.dbErr("storing a page view", err)
}

// PageViews implements chat.Store.
func (s *Store) PageViews(ctx context.Context, visitorID uuid.UUID, limit int) ([]chat.PageView, error) {
	limit, err := chat.CheckLimit(limit)
	if err := check(ctx, err); err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, `SELECT id, url, title, referrer, at FROM {page_views}
		WHERE visitor_id = ? ORDER BY at DESC, id DESC LIMIT ?`, idBytes(visitorID), limit)
	if err != nil {
		return nil, s.dbErr("reading page views", err)
	}
	defer rows.Close()
	out := []chat.PageView{}
	for rows.Next() {
		var id []byte
		var at int64
		p := chat.PageView{VisitorID: visitorID}
		if err := rows.Scan(&id, &p.URL, &p.Title, &p.Referrer, &at); err != nil {
			return nil, s.dbErr("reading page views", err)
		}
		if p.ID, err = scanID(id); err != nil {
			return nil, err
		}
		p.At = fromMicros(sql.NullInt64{Int64: at, Valid: true})
		out = append(out, p)
	}
	slices.Reverse(out)
	return out, s.dbErr("reading page views", rows.Err())
}
