CREATE TABLE {{p}}files (
	id              BLOB PRIMARY KEY,
	conversation_id BLOB NOT NULL,
	name            TEXT NOT NULL,
	content_type    TEXT NOT NULL,
	size            INTEGER NOT NULL,
	width           INTEGER NOT NULL,
	height          INTEGER NOT NULL,
	author_kind     TEXT NOT NULL,
	author_id       TEXT NOT NULL,
	author_name     TEXT NOT NULL,
	created_at      INTEGER NOT NULL,
	content         BLOB NOT NULL
);
CREATE INDEX {{p}}files_conversation ON {{p}}files (conversation_id)
