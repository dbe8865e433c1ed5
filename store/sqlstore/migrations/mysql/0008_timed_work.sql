CREATE TABLE {{p}}job_leases (
	job        VARBINARY(128) PRIMARY KEY,
	holder     VARBINARY(128) NOT NULL,
	expires_at BIGINT NOT NULL
) ENGINE=InnoDB;
CREATE TABLE {{p}}reply_notices (
	conversation_id BINARY(16) PRIMARY KEY,
	visitor_id      BINARY(16) NOT NULL,
	after_seq       BIGINT NOT NULL,
	due_at          BIGINT NOT NULL,
	INDEX {{p}}reply_notices_due (due_at, conversation_id),
	INDEX {{p}}reply_notices_visitor (visitor_id)
) ENGINE=InnoDB
