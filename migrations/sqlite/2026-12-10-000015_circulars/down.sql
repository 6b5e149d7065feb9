PRAGMA foreign_keys = OFF;
BEGIN;
DROP TABLE circulars;
DELETE FROM outbox WHERE kind IN ('instruction', 'circular');
CREATE TABLE outbox_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('reminder', 'escalation', 'digest')),
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
    channel TEXT NOT NULL DEFAULT 'email',
    department_id INTEGER,
    payload TEXT NOT NULL DEFAULT ''
);
INSERT INTO outbox_old SELECT id, kind, to_addrs, cc_addrs, subject, body_text, body_html,
    message_id, item_count, state, attempts, next_attempt_at, claimed_at, claimed_by,
    last_error, created_at, sent_at, channel, department_id, payload FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_old RENAME TO outbox;
CREATE INDEX outbox_state ON outbox (state, next_attempt_at);
CREATE INDEX outbox_channel ON outbox (channel, state);
COMMIT;
PRAGMA foreign_keys = ON;
