-- Ticks whose answers are being landed. A tick's write lands its answers in raw_responses
-- batch by batch, each batch in its own transaction (a DuckDB transaction keeps its new rows in
-- memory and copies and logs them again at commit, so one transaction per tick held every
-- answer several times over), and publishes the tick with one last transaction: its snapshots,
-- channel capacity, request sends and ticks row, and the removal of its row here.
--
-- While a tick is listed here its raw_responses rows are not published: readers of
-- raw_responses skip them (tick_id NOT IN tick_landing), and the next tick's write deletes
-- them if the writer died before publishing (sql/ingest/withdraw.sql).
CREATE TABLE tick_landing (
    tick_id     VARCHAR PRIMARY KEY,
    started_at  TIMESTAMPTZ NOT NULL
);
