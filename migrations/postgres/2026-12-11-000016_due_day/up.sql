-- Schedules gain the cadences offices use (weekly, half-yearly, yearly) and a fixed due day
-- of each period's last month (每月25日前; NULL: due_days after the period).
ALTER TABLE schedules DROP CONSTRAINT schedules_cadence_check;
ALTER TABLE schedules ADD CONSTRAINT schedules_cadence_check
    CHECK (cadence IN ('weekly', 'monthly', 'quarterly', 'half_yearly', 'yearly', 'custom'));
ALTER TABLE schedules ADD COLUMN due_day INTEGER CHECK (due_day BETWEEN 1 AND 31);
