"""The history stage in process: agent_status_history materializes one closed day with its
metadata and checks; the checks fail on planted overlaps and disagreements; the schedule asks
for yesterday."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from dagster import DagsterInstance, materialize

from pipelines.defs.history.assets import agent_status_history
from pipelines.defs.history.checks import (
    disagreements_on,
    durations_agree,
    overlaps_on,
    spans_never_overlap,
)
from pipelines.resources import KoreResource, WarehouseResource
from pipelines.warehouse import connect
from tests.support.statusdetails import StatusDetailsServer, day_of_spans

DAY = date(2026, 6, 10)
CHECKS = [spans_never_overlap, durations_agree]


def resources(server: StatusDetailsServer, database: str) -> dict[str, object]:
    kore = KoreResource(
        host=server.base_url,
        bot_id=server.bot,
        account_id=server.account,
        client_id="cs-history-test",
        client_secret="history-test-secret-that-is-long-enough-0001",
    )
    return {"kore": kore, "warehouse": WarehouseResource(database=database)}


def serve(server: StatusDetailsServer, agents: int = 70) -> None:
    server.agents = [
        {"aId": f"a-{n}", "userId": f"u-{n}", "email": f"{n}@x.io"} for n in range(agents)
    ]
    start = datetime(2026, 6, 9, tzinfo=UTC)
    ids = [a["aId"] for a in server.agents]
    server.spans = day_of_spans(ids, start, start + timedelta(days=3), timedelta(minutes=53))


def test_a_closed_day_materializes_with_metadata_and_checks(tmp_db: str) -> None:
    with StatusDetailsServer() as server:
        serve(server)
        result = materialize(
            [agent_status_history, *CHECKS],
            resources=resources(server, tmp_db),
            instance=DagsterInstance.ephemeral(),
            partition_key=DAY.isoformat(),
        )
    assert result.success
    [event] = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert (metadata["pages"].value, metadata["agents"].value) == (2, 70)
    assert metadata["spans"].value == metadata["stored_spans"].value > 70 * 12
    assert metadata["stopped"].value == "complete"
    assert metadata["assumptions"].value["timeZoneOffSet"] == 0
    assert metadata["assumptions"].value["end_date"] == "inclusive"
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {c.check_key.name: True for c in CHECKS}


def test_the_checks_fail_on_an_overlap_and_a_disagreement(tmp_db: str) -> None:
    with StatusDetailsServer() as server:
        serve(server, agents=3)
        materialize(
            [agent_status_history],
            resources=resources(server, tmp_db),
            instance=DagsterInstance.ephemeral(),
            partition_key=DAY.isoformat(),
        )
    with connect(tmp_db) as con:
        con.execute(
            "INSERT INTO agent_status_history SELECT * REPLACE (span_start + INTERVAL 1 MINUTE "
            "AS span_start) FROM agent_status_history WHERE agent_id = 'a-1' LIMIT 1"
        )
        con.execute(
            "UPDATE agent_status_history SET duration_disagrees = true WHERE agent_id = 'a-2'"
        )
    warehouse = WarehouseResource(database=tmp_db)
    overlap = overlaps_on(warehouse, DAY)
    assert not overlap.passed and overlap.metadata["overlaps"].value == 1
    durations = disagreements_on(warehouse, DAY)
    assert not durations.passed and durations.metadata["disagreements"].value > 0


def test_a_day_not_yet_closed_is_refused(tmp_db: str) -> None:
    today = datetime.now(UTC).date().isoformat()
    with StatusDetailsServer() as server:
        serve(server, agents=1)
        result = materialize(
            [agent_status_history],
            resources=resources(server, tmp_db),
            instance=DagsterInstance.ephemeral(),
            partition_key=today,
            raise_on_error=False,
        )
        assert not server.requests
    assert not result.success
