CREATE TABLE {{p}}outbox (
	id          BYTEA PRIMARY KEY,
	target      TEXT NOT NULL,
	payload     BYTEA NOT NULL,
	created_at  BIGINT NOT NULL,
	due_at      BIGINT NOT NULL,
	attempts    INTEGER NOT NULL,
	last_error  TEXT NOT NULL,
	holder      TEXT NOT NULL,
	lease_until BIGINT NOT NULL
);
CREATE INDEX {{p}}outbox_due ON {{p}}outbox (target, due_at, id)
