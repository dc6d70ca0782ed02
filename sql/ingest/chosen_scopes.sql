-- The scopes whose bodies hold an agent object the tick keeps (tick_chosen,
-- sql/ingest/agents_chosen.sql): only those bodies are read again. No parameters.
SELECT DISTINCT scope_key FROM tick_chosen
