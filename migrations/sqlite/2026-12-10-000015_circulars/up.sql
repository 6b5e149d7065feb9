-- 督办通报 (circulars) and 批示 (leaders' instructions) go out through the outbox too: its
-- kinds widen. SQLite cannot alter a CHECK, so the table is rebuilt the documented way —
-- foreign keys off, one transaction, the same rows and ids — with the chase log's references
-- left pointing at `outbox`.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE outbox_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('reminder', 'escalation', 'digest', 'instruction', 'circular')),
    to_addrs TEXT NOT NULL,
    cc_addrs TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    item_count INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_at TIMESTAMP,
    claimed_by TEXT,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    channel TEXT NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'robot', 'sms')),
    department_id INTEGER,
    payload TEXT NOT NULL DEFAULT ''
);
INSERT INTO outbox_new (id, kind, to_addrs, cc_addrs, subject, body_text, body_html,
    message_id, item_count, state, attempts, next_attempt_at, claimed_at, claimed_by,
    last_error, created_at, sent_at, channel, department_id, payload)
SELECT id, kind, to_addrs, cc_addrs, subject, body_text, body_html, message_id, item_count,
    state, attempts, next_attempt_at, claimed_at, claimed_by, last_error, created_at,
    sent_at, channel, department_id, payload
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_state ON outbox (state, next_attempt_at);
CREATE INDEX outbox_channel ON outbox (channel, state);

-- A circular as generated: its inputs (window, issuer, requirements, the numbers it states)
-- and the .docx itself, so it can be downloaded later exactly as it was sent.
CREATE TABLE circulars (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    number TEXT NOT NULL,
    title TEXT NOT NULL,
    window_label TEXT NOT NULL,
    inputs TEXT NOT NULL,
    file BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX circulars_document ON circulars (document_id);
COMMIT;
PRAGMA foreign_keys = ON;
