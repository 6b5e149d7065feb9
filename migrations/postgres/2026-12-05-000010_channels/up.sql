-- Chasing channels beyond email (催办渠道), per unit: a group robot (企业微信 / 钉钉 / 飞书 /
-- a generic JSON webhook) with its address and signing secret, and mobile numbers for SMS.
ALTER TABLE departments ADD COLUMN webhook_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE departments ADD COLUMN webhook_url TEXT NOT NULL DEFAULT '';
ALTER TABLE departments ADD COLUMN webhook_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE departments ADD COLUMN mobile TEXT NOT NULL DEFAULT '';
