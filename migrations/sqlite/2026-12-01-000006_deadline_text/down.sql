ALTER TABLE measures DROP COLUMN deadline_text;
