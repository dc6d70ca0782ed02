-- Tables present: a database written by an older version, or never given coverage, lacks some.
SELECT table_name
FROM information_schema.tables
WHERE table_schema = 'main'
ORDER BY table_name;
