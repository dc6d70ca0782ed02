-- Where the contact volume fetched so far ends (the end of its latest interval), if any: the
-- demo repeats the first sync, which pages the first days over several runs, until it reaches
-- the day the report shows.
SELECT max(interval_end) FROM contact_volume;
