-- Each person's interface language (zh or en); NULL follows the browser.
ALTER TABLE users ADD COLUMN language TEXT;
