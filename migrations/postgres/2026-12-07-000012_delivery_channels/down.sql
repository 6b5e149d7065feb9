DROP INDEX outbox_channel;
ALTER TABLE outbox DROP COLUMN payload;
ALTER TABLE outbox DROP COLUMN department_id;
ALTER TABLE outbox DROP COLUMN channel;
