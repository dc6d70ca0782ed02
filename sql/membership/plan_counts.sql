-- What the last apply.sql did (its membership_plan, same transaction): pairs listed, rows
-- opened, rows closed, open rows whose details were updated. Parameters: none.
SELECT
    count(*) FILTER (WHERE action <> 'close') AS listed,
    count(*) FILTER (WHERE action = 'open') AS opened,
    count(*) FILTER (WHERE action = 'close') AS closed,
    count(*) FILTER (WHERE action = 'update') AS updated
FROM membership_plan
