CREATE TABLE {{p}}outbox (
	id          BLOB PRIMARY KEY,
	target      TEXT NOT NULL,
	payload     BLOB NOT NULL,
	created_at  INTEGER NOT NULL,
	due_at      INTEGER NOT NULL,
	attempts    INTEGER NOT NULL,
	last_error  TEXT NOT NULL,
	holder      TEXT NOT NULL,
	lease_until INTEGER NOT NULL
);
CREATE INDEX {{p}}outbox_due ON {{p}}outbox (target, due_at, id)
