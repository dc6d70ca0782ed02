-- The basis of one day's scopes (coverage_bases, decided when the spans were built) and
-- whether membership before the account's first listing was involved.
-- Parameter: $day (DATE).
-- finalized / provisional: scopes per basis; before_first_listing: the day's exact spans end
-- (finalized spans reach the day's end) no later than the first membership listing, so a
-- finalized skill or queue was counted with that first listing's members (membership before
-- the first refresh is taken to be the first listing's).
SELECT
    count(*) FILTER (WHERE basis = 'finalized') AS finalized,
    count(*) FILTER (WHERE basis = 'provisional') AS provisional,
    coalesce(
        (SELECT min(valid_from) FROM membership)
        >= (SELECT max(span_end) FROM agent_status_spans WHERE day = $day AND basis = 'finalized'),
        false
    ) AS before_first_listing
FROM coverage_bases
WHERE day = $day;
