DROP INDEX audit_log_at;
DROP INDEX audit_log_actor;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
