CREATE TABLE {{p}}email_counts (
	scope   VARCHAR(8) NOT NULL,
	subject VARBINARY(254) NOT NULL,
	day     BIGINT NOT NULL,
	sent    BIGINT NOT NULL,
	PRIMARY KEY (scope, subject, day),
	INDEX {{p}}email_counts_day (day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE {{p}}email_proofs (
	visitor_id BINARY(16) NOT NULL,
	address    VARBINARY(254) NOT NULL,
	proven_at  BIGINT NOT NULL,
	PRIMARY KEY (visitor_id, address)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE {{p}}email_confirmations (
	token_hash      CHAR(64) CHARACTER SET ascii COLLATE ascii_bin PRIMARY KEY,
	visitor_id      BINARY(16) NOT NULL,
	address         VARBINARY(254) NOT NULL,
	conversation_id BINARY(16),
	expires_at      BIGINT NOT NULL,
	INDEX {{p}}email_confirmations_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE {{p}}email_suppressions (
	address VARBINARY(254) PRIMARY KEY,
	reason  VARCHAR(16) NOT NULL,
	at      BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
