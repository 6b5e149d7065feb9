-- 批示: a leader's instruction on a measure (to all its units) or on one unit's obligation.
CREATE TABLE instructions (
    id SERIAL PRIMARY KEY,
    measure_id INTEGER NOT NULL REFERENCES measures (id) ON DELETE CASCADE,
    obligation_id INTEGER REFERENCES obligations (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    author TEXT NOT NULL,
    author_name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX instructions_measure ON instructions (measure_id);
CREATE INDEX instructions_obligation ON instructions (obligation_id);
