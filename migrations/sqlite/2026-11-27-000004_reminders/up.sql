-- Reminders (催办): the policy the office edits, the outbox a worker drains, and the chase
-- log that records, per measure × department × period, what was sent to whom and when.
ALTER TABLE departments ADD COLUMN head_email TEXT NOT NULL DEFAULT '';

-- At most one row: the office's edits over the configured policy.
CREATE TABLE reminder_policy (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    policy TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE outbox (
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
    sent_at TIMESTAMP
);
CREATE INDEX outbox_state ON outbox (state, next_attempt_at);

-- The idempotency key is unique: whoever inserts it first sends it, and nobody else does.
CREATE TABLE chase_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    reminder_key TEXT NOT NULL UNIQUE,
    stage TEXT NOT NULL,
    stage_n INTEGER NOT NULL,
    obligation_id INTEGER REFERENCES obligations (id) ON DELETE CASCADE,
    document_id INTEGER REFERENCES documents (id) ON DELETE CASCADE,
    department_id INTEGER REFERENCES departments (id) ON DELETE CASCADE,
    days INTEGER NOT NULL,
    recipients TEXT NOT NULL,
    outbox_id INTEGER REFERENCES outbox (id),
    planned_at TIMESTAMP NOT NULL
);
CREATE INDEX chase_log_obligation ON chase_log (obligation_id);
CREATE INDEX chase_log_outbox ON chase_log (outbox_id);
CREATE INDEX chase_log_department ON chase_log (department_id);
