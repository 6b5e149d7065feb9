-- The office's holiday calendar (节假日安排) per year: days off and make-up working days, as
-- dates separated by commas. A stored year replaces the year shipped with the binary.
CREATE TABLE calendar_years (
    year INTEGER PRIMARY KEY NOT NULL,
    holidays TEXT NOT NULL,
    workdays TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);
