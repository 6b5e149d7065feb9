PRAGMA foreign_keys = OFF;
BEGIN;
DELETE FROM schedules WHERE cadence IN ('weekly', 'half_yearly', 'yearly');
CREATE TABLE schedules_old (
    document_id INTEGER PRIMARY KEY NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    cadence TEXT NOT NULL CHECK (cadence IN ('monthly', 'quarterly', 'custom')),
    starts_on DATE NOT NULL,
    periods INTEGER NOT NULL,
    custom_periods TEXT NOT NULL DEFAULT '',
    due_days INTEGER NOT NULL,
    co_days INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    ask_problems BOOLEAN NOT NULL DEFAULT TRUE,
    ask_next_steps BOOLEAN NOT NULL DEFAULT TRUE
);
INSERT INTO schedules_old SELECT document_id, cadence, starts_on, periods, custom_periods,
    due_days, co_days, updated_at, ask_problems, ask_next_steps FROM schedules;
DROP TABLE schedules;
ALTER TABLE schedules_old RENAME TO schedules;
COMMIT;
PRAGMA foreign_keys = ON;
