ALTER TABLE measures ADD COLUMN deadline_text TEXT;
