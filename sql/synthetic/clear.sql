-- Remove the synthetic ticks of [$chunk_start, $chunk_end) and everything hanging off them,
-- so a re-run over the same range replaces its history instead of duplicating it.
-- Synthetic rows are observed at their tick time, so the observed_at range lets DuckDB skip
-- every row group of other days (zone maps) before the tick_id test.
CREATE OR REPLACE TEMP TABLE history_old_ticks AS
SELECT tick_id
FROM ticks
WHERE source = 'synthetic'
  AND started_at >= $chunk_start
  AND started_at < $chunk_end;

DELETE FROM snapshots
WHERE observed_at >= $chunk_start
  AND observed_at < $chunk_end
  AND tick_id IN (SELECT tick_id FROM history_old_ticks);

DELETE FROM channel_capacity
WHERE observed_at >= $chunk_start
  AND observed_at < $chunk_end
  AND tick_id IN (SELECT tick_id FROM history_old_ticks);

DELETE FROM raw_responses WHERE tick_id IN (SELECT tick_id FROM history_old_ticks);

DELETE FROM ticks WHERE tick_id IN (SELECT tick_id FROM history_old_ticks);

DROP TABLE history_old_ticks;
