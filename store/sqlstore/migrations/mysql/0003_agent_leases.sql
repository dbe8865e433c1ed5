CREATE TABLE {{p}}agent_leases (
	agent_id   VARBINARY(128) NOT NULL,
	holder     VARBINARY(128) NOT NULL,
	expires_at BIGINT NOT NULL,
	PRIMARY KEY (agent_id, holder)
) ENGINE=InnoDB
