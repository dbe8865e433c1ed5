ALTER TABLE {{p}}conversations ADD COLUMN first_assigned_at INTEGER;
ALTER TABLE {{p}}conversations ADD COLUMN first_message_at INTEGER;
ALTER TABLE {{p}}conversations ADD COLUMN first_response_at INTEGER;
ALTER TABLE {{p}}conversations ADD COLUMN offline INTEGER NOT NULL DEFAULT 0;
ALTER TABLE {{p}}messages ADD COLUMN internal INTEGER NOT NULL DEFAULT 0;
CREATE INDEX {{p}}conversations_status ON {{p}}conversations (status, created_at, id)
