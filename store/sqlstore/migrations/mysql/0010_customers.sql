CREATE TABLE {{p}}customers (
	customer_id VARBINARY(128) PRIMARY KEY,
	visitor_id  BINARY(16) NOT NULL
) ENGINE=InnoDB
