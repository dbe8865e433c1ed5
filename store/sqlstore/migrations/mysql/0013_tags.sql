CREATE TABLE {{p}}conversation_tags (
	conversation_id BINARY(16) NOT NULL,
	tag             VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	PRIMARY KEY (conversation_id, tag),
	CONSTRAINT {{p}}conversation_tags_conversation_fk FOREIGN KEY (conversation_id) REFERENCES {{p}}conversations (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX {{p}}conversation_tags_tag ON {{p}}conversation_tags (tag, conversation_id)
