DROP TABLE audit_log;
DROP TABLE import_warnings;
DROP TABLE assignments;
DROP TABLE department_aliases;
DROP TABLE departments;
DROP TABLE measures;
DROP TABLE sections;
DROP TABLE documents;
