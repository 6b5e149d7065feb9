-- A person's mobile number for SMS reminders (短信); empty: none. Liaisons' numbers are texted
-- their unit's reminders when an SMS gateway is configured.
ALTER TABLE users ADD COLUMN mobile TEXT NOT NULL DEFAULT '';
