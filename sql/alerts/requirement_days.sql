-- Whether staffing_requirements holds a day at all (the requirements asset builds one local
-- day at a time; a missing day means no alert can be judged). Parameters: $day (DATE).
SELECT count(*) AS rows FROM staffing_requirements WHERE day = $day;
