CREATE TABLE {{p}}email_counts (
	scope   TEXT NOT NULL,
	subject TEXT NOT NULL,
	day     BIGINT NOT NULL,
	sent    BIGINT NOT NULL,
	PRIMARY KEY (scope, subject, day)
);
CREATE INDEX {{p}}email_counts_day ON {{p}}email_counts (day);
CREATE TABLE {{p}}email_proofs (
	visitor_id BYTEA NOT NULL,
	address    TEXT NOT NULL,
	proven_at  BIGINT NOT NULL,
	PRIMARY KEY (visitor_id, address)
);
CREATE TABLE {{p}}email_confirmations (
	token_hash      TEXT PRIMARY KEY,
	visitor_id      BYTEA NOT NULL,
	address         TEXT NOT NULL,
	conversation_id BYTEA,
	expires_at      BIGINT NOT NULL
);
CREATE INDEX {{p}}email_confirmations_expires ON {{p}}email_confirmations (expires_at);
CREATE TABLE {{p}}email_suppressions (
	address TEXT PRIMARY KEY,
	reason  TEXT NOT NULL,
	at      BIGINT NOT NULL
)
