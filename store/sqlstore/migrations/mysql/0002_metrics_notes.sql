ALTER TABLE {{p}}conversations ADD COLUMN first_assigned_at BIGINT, ADD COLUMN first_message_at BIGINT, ADD COLUMN first_response_at BIGINT, ADD COLUMN offline TINYINT NOT NULL DEFAULT 0,
	ADD INDEX {{p}}conversations_status (status, created_at, id);
ALTER TABLE {{p}}messages ADD COLUMN internal TINYINT NOT NULL DEFAULT 0
