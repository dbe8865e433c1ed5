CREATE TABLE {{p}}visits (
	visitor_id     BINARY(16) PRIMARY KEY,
	id             BINARY(16) NOT NULL UNIQUE,
	began_at       BIGINT NOT NULL,
	last_active_at BIGINT NOT NULL,
	ends_at        BIGINT NOT NULL,
	INDEX {{p}}visits_ends (ends_at)
) ENGINE=InnoDB;
CREATE TABLE {{p}}visit_leases (
	visitor_id BINARY(16) NOT NULL,
	holder     VARBINARY(128) NOT NULL,
	expires_at BIGINT NOT NULL,
	PRIMARY KEY (visitor_id, holder),
	INDEX {{p}}visit_leases_expires (expires_at)
) ENGINE=InnoDB;
CREATE TABLE {{p}}invitations (
	id              BINARY(16) PRIMARY KEY,
	visit_id        BINARY(16) NOT NULL,
	rule            VARBINARY(128) NOT NULL,
	body            TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	status          VARCHAR(16) NOT NULL,
	at              BIGINT NOT NULL,
	conversation_id BINARY(16),
	UNIQUE (visit_id, rule)
) ENGINE=InnoDB
