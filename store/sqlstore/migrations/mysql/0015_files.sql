CREATE TABLE {{p}}files (
	id              BINARY(16) PRIMARY KEY,
	conversation_id BINARY(16) NOT NULL,
	name            VARCHAR(512) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	content_type    VARBINARY(128) NOT NULL,
	size            BIGINT NOT NULL,
	width           INT NOT NULL,
	height          INT NOT NULL,
	author_kind     VARBINARY(16) NOT NULL,
	author_id       VARBINARY(128) NOT NULL,
	author_name     VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	created_at      BIGINT NOT NULL,
	content         LONGBLOB NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX {{p}}files_conversation ON {{p}}files (conversation_id)
