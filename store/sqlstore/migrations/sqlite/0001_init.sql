CREATE TABLE {{p}}visitors (
	id           BLOB PRIMARY KEY,
	name         TEXT NOT NULL,
	email        TEXT NOT NULL,
	locale       TEXT NOT NULL,
	customer_id  TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	last_seen_at INTEGER
);
CREATE TABLE {{p}}agents (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	departments TEXT NOT NULL,
	capacity    INTEGER NOT NULL,
	status      TEXT NOT NULL
);
CREATE TABLE {{p}}conversations (
	id          BLOB PRIMARY KEY,
	visitor_id  BLOB NOT NULL REFERENCES {{p}}visitors (id),
	department  TEXT NOT NULL,
	status      TEXT NOT NULL,
	agent_id    TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER,
	assigned_at INTEGER,
	closed_at   INTEGER,
	rating      INTEGER NOT NULL,
	resolved    INTEGER,
	last_seq    INTEGER NOT NULL,
	version     INTEGER NOT NULL
);
CREATE INDEX {{p}}conversations_visitor ON {{p}}conversations (visitor_id, created_at, id);
CREATE INDEX {{p}}conversations_agent ON {{p}}conversations (agent_id, created_at, id);
CREATE INDEX {{p}}conversations_created ON {{p}}conversations (created_at, id);
CREATE TABLE {{p}}messages (
	id              BLOB NOT NULL UNIQUE,
	conversation_id BLOB NOT NULL REFERENCES {{p}}conversations (id),
	seq             INTEGER NOT NULL,
	author_kind     TEXT NOT NULL,
	author_id       TEXT NOT NULL,
	author_name     TEXT NOT NULL,
	body            TEXT NOT NULL,
	attachments     TEXT,
	idem_key        TEXT,
	created_at      INTEGER NOT NULL,
	PRIMARY KEY (conversation_id, seq)
) WITHOUT ROWID;
-- Only messages with an idempotency key need an entry.
CREATE UNIQUE INDEX {{p}}messages_key ON {{p}}messages (conversation_id, idem_key) WHERE idem_key IS NOT NULL;
CREATE TABLE {{p}}page_views (
	id         BLOB PRIMARY KEY,
	visitor_id BLOB NOT NULL,
	url        TEXT NOT NULL,
	title      TEXT NOT NULL,
	referrer   TEXT NOT NULL,
	at         INTEGER NOT NULL
);
CREATE INDEX {{p}}page_views_visitor ON {{p}}page_views (visitor_id, at, id);
