CREATE TABLE {{p}}job_leases (
	job        TEXT PRIMARY KEY,
	holder     TEXT NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE TABLE {{p}}reply_notices (
	conversation_id BYTEA PRIMARY KEY,
	visitor_id      BYTEA NOT NULL,
	after_seq       BIGINT NOT NULL,
	due_at          BIGINT NOT NULL
);
CREATE INDEX {{p}}reply_notices_due ON {{p}}reply_notices (due_at, conversation_id);
CREATE INDEX {{p}}reply_notices_visitor ON {{p}}reply_notices (visitor_id)
