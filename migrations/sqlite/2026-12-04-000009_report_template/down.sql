ALTER TABLE schedules DROP COLUMN ask_next_steps;
ALTER TABLE schedules DROP COLUMN ask_problems;
ALTER TABLE reports DROP COLUMN next_steps;
ALTER TABLE reports DROP COLUMN problems;
