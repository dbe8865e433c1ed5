CREATE TABLE {{p}}visitors (
	id           BINARY(16) PRIMARY KEY,
	name         VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	email        VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	locale       VARCHAR(35) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	customer_id  VARBINARY(128) NOT NULL,
	created_at   BIGINT NOT NULL,
	last_seen_at BIGINT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE {{p}}agents (
	id          VARBINARY(128) PRIMARY KEY,
	name        VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	departments MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	capacity    INT NOT NULL,
	status      VARCHAR(16) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE {{p}}conversations (
	id          BINARY(16) PRIMARY KEY,
	visitor_id  BINARY(16) NOT NULL,
	department  VARBINARY(128) NOT NULL,
	status      VARCHAR(16) NOT NULL,
	agent_id    VARBINARY(128) NOT NULL,
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT,
	assigned_at BIGINT,
	closed_at   BIGINT,
	rating      INT NOT NULL,
	resolved    TINYINT,
	last_seq    BIGINT NOT NULL,
	version     BIGINT NOT NULL,
	INDEX {{p}}conversations_visitor (visitor_id, created_at, id),
	INDEX {{p}}conversations_agent (agent_id, created_at, id),
	INDEX {{p}}conversations_created (created_at, id),
	CONSTRAINT {{p}}conversations_visitor_fk FOREIGN KEY (visitor_id) REFERENCES {{p}}visitors (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE {{p}}messages (
	id              BINARY(16) NOT NULL,
	conversation_id BINARY(16) NOT NULL,
	seq             BIGINT NOT NULL,
	author_kind     VARCHAR(16) NOT NULL,
	author_id       VARBINARY(128) NOT NULL,
	author_name     VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	body            TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	attachments     MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
	idem_key        VARBINARY(128),
	created_at      BIGINT NOT NULL,
	PRIMARY KEY (conversation_id, seq),
	UNIQUE KEY {{p}}messages_id (id),
	UNIQUE KEY {{p}}messages_key (conversation_id, idem_key),
	CONSTRAINT {{p}}messages_conversation_fk FOREIGN KEY (conversation_id) REFERENCES {{p}}conversations (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE {{p}}page_views (
	id         BINARY(16) PRIMARY KEY,
	visitor_id BINARY(16) NOT NULL,
	url        VARCHAR(2048) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	title      VARCHAR(512) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	referrer   VARCHAR(2048) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	at         BIGINT NOT NULL,
	INDEX {{p}}page_views_visitor (visitor_id, at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
