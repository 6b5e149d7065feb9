-- The reporting loop: schedules, obligations, receipts, report versions with evidence,
-- reviews and extension requests.
ALTER TABLE measures ADD COLUMN deadline DATE;

CREATE TABLE schedules (
    document_id INTEGER PRIMARY KEY NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    cadence TEXT NOT NULL CHECK (cadence IN ('monthly', 'quarterly', 'custom')),
    starts_on DATE NOT NULL,
    periods INTEGER NOT NULL,
    custom_periods TEXT NOT NULL DEFAULT '',
    due_days INTEGER NOT NULL,
    co_days INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE obligations (
    id SERIAL PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    measure_id INTEGER NOT NULL REFERENCES measures (id) ON DELETE CASCADE,
    department_id INTEGER NOT NULL REFERENCES departments (id),
    role TEXT NOT NULL CHECK (role IN ('lead', 'co')),
    period_key TEXT NOT NULL,
    period_label TEXT NOT NULL,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    due_on DATE NOT NULL,
    original_due_on DATE,
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'submitted', 'returned', 'accepted')),
    UNIQUE (measure_id, department_id, period_key)
);
CREATE INDEX obligations_document ON obligations (document_id);
CREATE INDEX obligations_department ON obligations (department_id, due_on);

CREATE TABLE receipts (
    id SERIAL PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    department_id INTEGER NOT NULL REFERENCES departments (id),
    dispatched_at TIMESTAMP NOT NULL,
    due_on DATE NOT NULL,
    acknowledged_at TIMESTAMP,
    acknowledged_by TEXT,
    UNIQUE (document_id, department_id)
);

CREATE TABLE reports (
    id SERIAL PRIMARY KEY,
    obligation_id INTEGER NOT NULL REFERENCES obligations (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('draft', 'submitted', 'returned', 'accepted')),
    summary TEXT NOT NULL,
    percent INTEGER NOT NULL CHECK (percent BETWEEN 0 AND 100),
    progress TEXT NOT NULL CHECK (progress IN ('on_track', 'at_risk', 'completed')),
    author TEXT NOT NULL,
    revision INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP,
    UNIQUE (obligation_id, version)
);

CREATE TABLE evidence (
    id SERIAL PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    insufficient BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX evidence_report ON evidence (report_id);
CREATE INDEX evidence_sha256 ON evidence (sha256);

CREATE TABLE reviews (
    id SERIAL PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    reviewer TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('accept', 'return')),
    comment TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX reviews_report ON reviews (report_id);

CREATE TABLE extensions (
    id SERIAL PRIMARY KEY,
    obligation_id INTEGER NOT NULL REFERENCES obligations (id) ON DELETE CASCADE,
    requested_by TEXT NOT NULL,
    previous_due_on DATE NOT NULL,
    requested_due_on DATE NOT NULL,
    reason TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
    decided_by TEXT,
    decided_at TIMESTAMP,
    decision_comment TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX extensions_obligation ON extensions (obligation_id);
