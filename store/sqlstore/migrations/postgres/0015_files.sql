CREATE TABLE {{p}}files (
	id              BYTEA PRIMARY KEY,
	conversation_id BYTEA NOT NULL,
	name            TEXT NOT NULL,
	content_type    TEXT NOT NULL,
	size            BIGINT NOT NULL,
	width           INTEGER NOT NULL,
	height          INTEGER NOT NULL,
	author_kind     TEXT NOT NULL,
	author_id       TEXT NOT NULL,
	author_name     TEXT NOT NULL,
	created_at      BIGINT NOT NULL,
	content         BYTEA NOT NULL
);
CREATE INDEX {{p}}files_conversation ON {{p}}files (conversation_id)
