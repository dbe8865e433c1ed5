CREATE TABLE {{p}}job_leases (
	job        TEXT PRIMARY KEY,
	holder     TEXT NOT NULL,
	expires_at INTEGER NOT NULL
)
