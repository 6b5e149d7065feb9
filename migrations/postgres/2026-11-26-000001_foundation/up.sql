-- Documents, their sections and measures, departments and who is responsible for what.
CREATE TABLE documents (
    id SERIAL PRIMARY KEY,
    number TEXT,
    title TEXT,
    issuing_office TEXT,
    issued_on DATE,
    source_text TEXT NOT NULL,
    imported_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX documents_number ON documents (number);

CREATE TABLE sections (
    id SERIAL PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    title TEXT NOT NULL,
    UNIQUE (document_id, ordinal)
);

CREATE TABLE measures (
    id SERIAL PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    section_id INTEGER REFERENCES sections (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    label TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (document_id, number)
);

CREATE TABLE departments (
    id SERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE department_aliases (
    id SERIAL PRIMARY KEY,
    department_id INTEGER NOT NULL REFERENCES departments (id) ON DELETE CASCADE,
    alias TEXT NOT NULL UNIQUE
);
CREATE INDEX department_aliases_department ON department_aliases (department_id);

CREATE TABLE assignments (
    id SERIAL PRIMARY KEY,
    measure_id INTEGER NOT NULL REFERENCES measures (id) ON DELETE CASCADE,
    department_id INTEGER NOT NULL REFERENCES departments (id),
    role TEXT NOT NULL CHECK (role IN ('lead', 'co')),
    position INTEGER NOT NULL,
    UNIQUE (measure_id, department_id)
);
CREATE INDEX assignments_department ON assignments (department_id);

CREATE TABLE import_warnings (
    id SERIAL PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    measure_id INTEGER REFERENCES measures (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX import_warnings_document ON import_warnings (document_id);

-- Append-only: who changed what, when.
CREATE TABLE audit_log (
    id SERIAL PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id INTEGER,
    summary TEXT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
