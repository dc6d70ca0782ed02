-- Replace one day of demand_requirements with the rows sized by pipelines/demand/requirements.py,
-- registered as the view demand_requirements_input (columns as the table's). Parameters: $day
-- (DATE).

DELETE FROM demand_requirements WHERE day = $day;

INSERT INTO demand_requirements BY NAME
SELECT * FROM demand_requirements_input;
