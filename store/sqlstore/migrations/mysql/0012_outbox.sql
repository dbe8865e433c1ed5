CREATE TABLE {{p}}outbox (
	id          BINARY(16) PRIMARY KEY,
	target      VARBINARY(128) NOT NULL,
	payload     MEDIUMBLOB NOT NULL,
	created_at  BIGINT NOT NULL,
	due_at      BIGINT NOT NULL,
	attempts    INT NOT NULL,
	last_error  VARBINARY(1024) NOT NULL,
	holder      VARBINARY(128) NOT NULL,
	lease_until BIGINT NOT NULL,
	INDEX {{p}}outbox_due (target, due_at, id)
) ENGINE=InnoDB
