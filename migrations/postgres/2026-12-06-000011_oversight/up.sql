-- 分管领导: which units each leader oversees. Escalations to "分管领导" copy only the leaders
-- of the unit concerned.
CREATE TABLE leader_departments (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    department_id INTEGER NOT NULL REFERENCES departments(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, department_id)
);
CREATE INDEX leader_departments_by_department ON leader_departments (department_id);
