CREATE TABLE {{p}}agent_leases (
	agent_id   TEXT NOT NULL,
	holder     TEXT NOT NULL,
	expires_at INTEGER NOT NULL,
	PRIMARY KEY (agent_id, holder)
)
