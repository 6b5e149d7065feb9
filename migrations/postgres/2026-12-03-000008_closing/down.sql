DROP INDEX reports_waiting;
DROP TABLE canned_comments;
DROP TABLE closure_files;
DROP TABLE closures;
ALTER TABLE measures DROP COLUMN closed_on;
ALTER TABLE obligations DROP COLUMN handed_in_on;
