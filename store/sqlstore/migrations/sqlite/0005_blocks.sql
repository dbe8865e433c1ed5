CREATE TABLE {{p}}blocks (
	id          BLOB PRIMARY KEY,
	visitor_id  BLOB,
	customer_id TEXT NOT NULL,
	email       TEXT NOT NULL,
	network     TEXT NOT NULL,
	reason      TEXT NOT NULL,
	agent_id    TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER
)
