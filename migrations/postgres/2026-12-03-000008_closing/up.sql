-- Truthful states and closing measures (办结/销号).
-- The day an obligation was first handed in, in the office's local date: "逾期报送（迟 N 天）"
-- reads it. Existing rows take their first submission, read in China Standard Time (UTC+8).
ALTER TABLE obligations ADD COLUMN handed_in_on DATE;
UPDATE obligations SET handed_in_on = (
    SELECT (MIN(r.submitted_at) + INTERVAL '8 hours')::date FROM reports r
    WHERE r.obligation_id = obligations.id AND r.submitted_at IS NOT NULL
);
-- A measure the office has closed (办结) plans no obligation due after this day.
ALTER TABLE measures ADD COLUMN closed_on DATE;
-- A lead unit's request to close a measure, with its closing evidence, and the decision.
CREATE TABLE closures (
    id SERIAL PRIMARY KEY,
    measure_id INTEGER NOT NULL REFERENCES measures (id) ON DELETE CASCADE,
    department_id INTEGER NOT NULL REFERENCES departments (id),
    summary TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'refused')),
    requested_by TEXT NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    decided_by TEXT,
    decided_at TIMESTAMP,
    decision_comment TEXT NOT NULL DEFAULT ''
);
CREATE INDEX closures_measure ON closures (measure_id, state);
CREATE TABLE closure_files (
    id SERIAL PRIMARY KEY,
    closure_id INTEGER NOT NULL REFERENCES closures (id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX closure_files_closure ON closure_files (closure_id);
-- The review queue, oldest handed in first, read page by page and for 下一条.
CREATE INDEX reports_waiting ON reports (state, submitted_at, id);
-- 常用意见: review comments the office keeps for reuse.
CREATE TABLE canned_comments (
    id SERIAL PRIMARY KEY,
    body TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
