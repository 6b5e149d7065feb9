-- Schedules gain the cadences offices use (weekly, half-yearly, yearly) and a fixed due day
-- of each period's last month (每月25日前; NULL: due_days after the period). SQLite cannot
-- alter a CHECK: the table is rebuilt with foreign keys off, in one transaction.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE schedules_new (
    document_id INTEGER PRIMARY KEY NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    cadence TEXT NOT NULL CHECK (cadence IN ('weekly', 'monthly', 'quarterly', 'half_yearly', 'yearly', 'custom')),
    starts_on DATE NOT NULL,
    periods INTEGER NOT NULL,
    custom_periods TEXT NOT NULL DEFAULT '',
    due_days INTEGER NOT NULL,
    co_days INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    ask_problems BOOLEAN NOT NULL DEFAULT TRUE,
    ask_next_steps BOOLEAN NOT NULL DEFAULT TRUE,
    due_day INTEGER CHECK (due_day BETWEEN 1 AND 31)
);
INSERT INTO schedules_new (document_id, cadence, starts_on, periods, custom_periods, due_days,
    co_days, updated_at, ask_problems, ask_next_steps)
SELECT document_id, cadence, starts_on, periods, custom_periods, due_days, co_days, updated_at,
    ask_problems, ask_next_steps
FROM schedules;
DROP TABLE schedules;
ALTER TABLE schedules_new RENAME TO schedules;
COMMIT;
PRAGMA foreign_keys = ON;
