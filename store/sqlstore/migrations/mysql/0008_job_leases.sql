CREATE TABLE {{p}}job_leases (
	job        VARBINARY(128) PRIMARY KEY,
	holder     VARBINARY(128) NOT NULL,
	expires_at BIGINT NOT NULL
) ENGINE=InnoDB
