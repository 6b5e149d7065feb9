-- The outbox carries every channel: email, a unit's group robot (群机器人) and SMS (短信).
-- A robot message keeps its platform body in `payload` and is sent to the unit's robot as
-- set when it is delivered; an SMS keeps its text in `body_text` and its number in `to_addrs`.
ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'email';
-- The unit a robot message is for (no foreign key: a message outlives a merged unit, and
-- is then failed as having no robot).
ALTER TABLE outbox ADD COLUMN department_id INTEGER;
ALTER TABLE outbox ADD COLUMN payload TEXT NOT NULL DEFAULT '';
CREATE INDEX outbox_channel ON outbox (channel, state);
