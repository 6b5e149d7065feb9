ALTER TABLE chase_log DROP COLUMN note;
ALTER TABLE chase_log DROP COLUMN actor;
DROP INDEX reports_state;
DROP INDEX obligations_measure;
DROP INDEX obligations_state;
DROP INDEX obligations_due;
