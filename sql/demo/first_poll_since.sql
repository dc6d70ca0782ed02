-- When the first live (non-synthetic) tick at or after $since started, if any.
SELECT min(started_at) FROM ticks WHERE source = 'poll' AND started_at >= $since;
