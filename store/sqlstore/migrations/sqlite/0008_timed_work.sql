CREATE TABLE {{p}}job_leases (
	job        TEXT PRIMARY KEY,
	holder     TEXT NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE TABLE {{p}}reply_notices (
	conversation_id BLOB PRIMARY KEY,
	visitor_id      BLOB NOT NULL,
	after_seq       INTEGER NOT NULL,
	due_at          INTEGER NOT NULL
);
CREATE INDEX {{p}}reply_notices_due ON {{p}}reply_notices (due_at, conversation_id);
CREATE INDEX {{p}}reply_notices_visitor ON {{p}}reply_notices (visitor_id)
