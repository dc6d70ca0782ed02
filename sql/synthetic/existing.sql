-- Ticks already stored that touch [$start, $end), before synthetic history is written there.
-- Real polls (any source but 'synthetic') must never be overwritten or mixed with synthetic
-- rows, so seeding refuses when real_ticks > 0; earlier synthetic ticks are replaced.
SELECT
    count(*) FILTER (WHERE source <> 'synthetic') AS real_ticks,
    min(started_at) FILTER (WHERE source <> 'synthetic') AS real_first,
    max(started_at) FILTER (WHERE source <> 'synthetic') AS real_last,
    count(*) FILTER (WHERE source = 'synthetic') AS synthetic_ticks
FROM ticks
WHERE started_at < $end
  AND ended_at >= $start;
