-- iCalendar feeds (日历订阅) of due dates, per unit or per person, at a secret URL. Only the
-- token's SHA-256 is kept; a new feed for the same owner revokes the one before.
CREATE TABLE calendar_feeds (
    id SERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    department_id INTEGER REFERENCES departments (id) ON DELETE CASCADE,
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    last_fetched_at TIMESTAMP,
    CHECK ((department_id IS NULL) <> (user_id IS NULL))
);
CREATE INDEX calendar_feeds_department ON calendar_feeds (department_id);
CREATE INDEX calendar_feeds_user ON calendar_feeds (user_id);
