DROP TABLE circulars;
DELETE FROM outbox WHERE kind IN ('instruction', 'circular');
ALTER TABLE outbox DROP CONSTRAINT outbox_channel_check;
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check
    CHECK (kind IN ('reminder', 'escalation', 'digest'));
