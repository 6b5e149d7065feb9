-- 督办通报 (circulars) and 批示 (leaders' instructions) go out through the outbox too.
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check
    CHECK (kind IN ('reminder', 'escalation', 'digest', 'instruction', 'circular'));
ALTER TABLE outbox ADD CONSTRAINT outbox_channel_check
    CHECK (channel IN ('email', 'robot', 'sms'));

-- A circular as generated: its inputs (window, issuer, requirements, the numbers it states)
-- and the .docx itself, so it can be downloaded later exactly as it was sent.
CREATE TABLE circulars (
    id SERIAL PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    number TEXT NOT NULL,
    title TEXT NOT NULL,
    window_label TEXT NOT NULL,
    inputs TEXT NOT NULL,
    file BYTEA NOT NULL,
    sha256 TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX circulars_document ON circulars (document_id);
