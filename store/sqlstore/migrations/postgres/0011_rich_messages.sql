ALTER TABLE {{p}}messages ADD COLUMN rich TEXT
