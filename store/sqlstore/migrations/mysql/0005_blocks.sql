CREATE TABLE {{p}}blocks (
	id          BINARY(16) PRIMARY KEY,
	visitor_id  BINARY(16),
	customer_id VARBINARY(128) NOT NULL,
	email       VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	network     VARCHAR(64) NOT NULL,
	reason      VARCHAR(500) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	agent_id    VARBINARY(128) NOT NULL,
	created_at  BIGINT NOT NULL,
	expires_at  BIGINT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
