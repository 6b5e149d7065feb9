ALTER TABLE schedules DROP COLUMN due_day;
DELETE FROM schedules WHERE cadence IN ('weekly', 'half_yearly', 'yearly');
ALTER TABLE schedules DROP CONSTRAINT schedules_cadence_check;
ALTER TABLE schedules ADD CONSTRAINT schedules_cadence_check
    CHECK (cadence IN ('monthly', 'quarterly', 'custom'));
