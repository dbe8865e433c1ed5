CREATE TABLE {{p}}blocks (
	id          BYTEA PRIMARY KEY,
	visitor_id  BYTEA,
	customer_id TEXT NOT NULL,
	email       TEXT NOT NULL,
	network     TEXT NOT NULL,
	reason      TEXT NOT NULL,
	agent_id    TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	expires_at  BIGINT
)
