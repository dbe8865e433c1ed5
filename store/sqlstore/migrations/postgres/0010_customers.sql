CREATE TABLE {{p}}customers (
	customer_id TEXT PRIMARY KEY,
	visitor_id  BYTEA NOT NULL
)
