DROP TABLE chase_log;
DROP TABLE outbox;
DROP TABLE reminder_policy;
ALTER TABLE departments DROP COLUMN head_email;
