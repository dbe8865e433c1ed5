CREATE TABLE {{p}}visits (
	visitor_id     BYTEA PRIMARY KEY,
	id             BYTEA NOT NULL UNIQUE,
	began_at       BIGINT NOT NULL,
	last_active_at BIGINT NOT NULL,
	ends_at        BIGINT NOT NULL
);
CREATE INDEX {{p}}visits_ends ON {{p}}visits (ends_at);
CREATE TABLE {{p}}visit_leases (
	visitor_id BYTEA NOT NULL,
	holder     TEXT NOT NULL,
	expires_at BIGINT NOT NULL,
	PRIMARY KEY (visitor_id, holder)
);
CREATE INDEX {{p}}visit_leases_expires ON {{p}}visit_leases (expires_at);
CREATE TABLE {{p}}invitations (
	id              BYTEA PRIMARY KEY,
	visit_id        BYTEA NOT NULL,
	rule            TEXT NOT NULL,
	body            TEXT NOT NULL,
	status          TEXT NOT NULL,
	at              BIGINT NOT NULL,
	conversation_id BYTEA,
	UNIQUE (visit_id, rule)
)
