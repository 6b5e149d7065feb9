ALTER TABLE departments DROP COLUMN mobile;
ALTER TABLE departments DROP COLUMN webhook_secret;
ALTER TABLE departments DROP COLUMN webhook_url;
ALTER TABLE departments DROP COLUMN webhook_kind;
