DROP TABLE extensions;
DROP TABLE reviews;
DROP TABLE evidence;
DROP TABLE reports;
DROP TABLE receipts;
DROP TABLE obligations;
DROP TABLE schedules;
ALTER TABLE measures DROP COLUMN deadline;
