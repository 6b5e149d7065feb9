-- The office's report template: 工作进展 (the summary) with 存在问题 and 下步打算 beside it.
ALTER TABLE reports ADD COLUMN problems TEXT NOT NULL DEFAULT '';
ALTER TABLE reports ADD COLUMN next_steps TEXT NOT NULL DEFAULT '';
-- Per document, whether the report form asks for 存在问题 and 下步打算.
ALTER TABLE schedules ADD COLUMN ask_problems BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE schedules ADD COLUMN ask_next_steps BOOLEAN NOT NULL DEFAULT TRUE;
