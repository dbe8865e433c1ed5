CREATE TABLE {{p}}visits (
	visitor_id     BLOB PRIMARY KEY,
	id             BLOB NOT NULL UNIQUE,
	began_at       INTEGER NOT NULL,
	last_active_at INTEGER NOT NULL,
	ends_at        INTEGER NOT NULL
);
CREATE INDEX {{p}}visits_ends ON {{p}}visits (ends_at);
CREATE TABLE {{p}}visit_leases (
	visitor_id BLOB NOT NULL,
	holder     TEXT NOT NULL,
	expires_at INTEGER NOT NULL,
	PRIMARY KEY (visitor_id, holder)
);
CREATE INDEX {{p}}visit_leases_expires ON {{p}}visit_leases (expires_at);
CREATE TABLE {{p}}invitations (
	id              BLOB PRIMARY KEY,
	visit_id        BLOB NOT NULL,
	rule            TEXT NOT NULL,
	body            TEXT NOT NULL,
	status          TEXT NOT NULL,
	at              INTEGER NOT NULL,
	conversation_id BLOB,
	UNIQUE (visit_id, rule)
)
