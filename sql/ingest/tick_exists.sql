-- Whether one tick ($tick_id, VARCHAR) is published already: a re-run that replaces it is
-- written in one transaction, so a crash keeps the earlier write.
SELECT 1 FROM ticks WHERE tick_id = $tick_id
