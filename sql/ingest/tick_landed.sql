-- Answers landed for one tick ($tick_id, VARCHAR) and whether it is still listed as being
-- landed, checked before the tick is published: either short means another write withdrew
-- them, and this one must not publish.
SELECT (SELECT count(*) FROM raw_responses WHERE tick_id = $tick_id),
       (SELECT count(*) FROM tick_landing WHERE tick_id = $tick_id)
