CREATE TABLE {{p}}conversation_tags (
	conversation_id BYTEA NOT NULL REFERENCES {{p}}conversations (id),
	tag             TEXT NOT NULL,
	PRIMARY KEY (conversation_id, tag)
);
CREATE INDEX {{p}}conversation_tags_tag ON {{p}}conversation_tags (tag, conversation_id)
