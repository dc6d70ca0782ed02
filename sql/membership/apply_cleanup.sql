-- Drop apply.sql's plan once its counts are read. Parameters: none.
DROP TABLE IF EXISTS membership_plan;
