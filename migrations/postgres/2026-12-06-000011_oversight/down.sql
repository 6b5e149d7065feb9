DROP TABLE leader_departments;
