"""Secrets, personal data, hostile IDs and transport security, against real parts.

- The client secret, the PII key and every JWT minted never reach logs, exception text, Dagster
  events or metadata, any DuckDB table or the report files: a run's whole output is captured
  and scanned, including a server that echoes the token back.
- AVAILABILITY_PII = keep | hash | drop for agents' e-mail and phone, applied to the normalized
  tables and to the raw landing bodies alike; hashes are keyed and stable across ticks.
- IDs from the scopes file and from responses reach SQL only as parameters: hostile ones
  (quotes, semicolons, SQL, unicode, 10,000 characters) land byte for byte.
- Plain http:// is refused for a host that is not this machine; TLS certificates are verified.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, materialize

from pipelines.defs.coverage.assets import (
    agent_status_spans,
    coverage_intervals,
    coverage_vs_requirement,
    staffing_requirements,
)
from pipelines.defs.ingest.assets import availability_snapshots
from pipelines.defs.ingest.checks import last_tick_scopes_succeeded
from pipelines.defs.reports.assets import coverage_report
from pipelines.kore import KoreConfigError, KoreSettings, auth
from pipelines.polling import run_tick
from pipelines.resources import CoverageResource, KoreResource, ScopesResource, WarehouseResource
from pipelines.scopes import Scope, load_scopes
from pipelines.settings import PROJECT_ROOT
from pipelines.simulator import SimulatorServer
from pipelines.warehouse import PiiConfigError, PiiPolicy, connect

Factory = Callable[..., SimulatorServer]

SECRET = "Zq7-TOP-SECRET-client-secret-9f3b2c71e5d84a06b1c2d3e4f5a6b7c8"
PII_KEY = "PII-KEY-never-to-be-seen-4b9e1d27c0a3f6e8"
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
FIXED = datetime(2026, 11, 25, 19, 30, tzinfo=UTC)
SCOPES = [
    Scope("all", "", "All agents"),
    Scope("skill", "sk-sales", "Sales"),
    Scope("skill", "sk-billing", "Billing"),
]

pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


def settings_for(host: str, **overrides: Any) -> KoreSettings:
    values: dict[str, Any] = {
        "host": host,
        "bot_id": "st-simulated-bot",
        "account_id": "sim-account",
        "client_id": "cs-simulated-client",
        "client_secret": SECRET,
        "tick_deadline_s": 8.0,
        "max_attempts": 2,
        "backoff_base_s": 0.02,
        "backoff_cap_s": 0.05,
    }
    values.update(overrides)
    return KoreSettings(**values)


def scopes_file(path: Path, scopes: list[Scope]) -> Path:
    """A scopes TOML file; values written as JSON strings, which TOML basic strings accept."""
    lines = []
    for scope in scopes:
        lines += ["[[scope]]", f'kind = "{scope.kind}"']
        lines += [f"name = {json.dumps(scope.name, ensure_ascii=False)}"]
        if scope.ref_id:
            lines += [f"id = {json.dumps(scope.ref_id, ensure_ascii=False)}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def all_table_text(database: str) -> str:
    """Every value of every table, as text: what someone holding the file can read."""
    with connect(database, read_only=True) as con:
        tables = [
            row[0]
            for row in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchall()
        ]
        parts = []
        for table in tables:
            for row in con.execute(f'SELECT * FROM "{table}"').fetchall():
                parts.append(" ".join(str(value) for value in row))
    return "\n".join(parts)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_POST(self) -> None:  # noqa: N802
        request = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, payload = self.server.answer(self, request)  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@contextmanager
def serving(
    answer: Callable[[BaseHTTPRequestHandler, bytes], tuple[int, bytes]],
    tls: ssl.SSLContext | None = None,
) -> Iterator[str]:
    """A purpose-built server on 127.0.0.1 (HTTPS when ``tls`` is given)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.answer = answer  # type: ignore[attr-defined]
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        scheme = "https" if tls else "http"
        yield f"{scheme}://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


# --------------------------------------------------------------------------------------------
# Secrets
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_secret_key_and_tokens_never_leak_anywhere(
    simulator_factory: Factory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database = str(tmp_path / "warehouse.duckdb")
    reports = tmp_path / "reports"
    monkeypatch.setenv("AVAILABILITY_REPORTS_DIR", str(reports))
    monkeypatch.setenv("AVAILABILITY_PII_KEY", PII_KEY)
    caplog.set_level(logging.DEBUG)
    minted: list[str] = []
    original = auth.TokenMinter._encode

    def recording(self: auth.TokenMinter, payload: dict[str, Any]) -> str:
        token = original(self, payload)
        minted.append(token)
        return token

    monkeypatch.setattr(auth.TokenMinter, "_encode", recording)
    server = simulator_factory(
        client_secret=SECRET, enforce_jti=True, rate_limit_per_minute=None, clock=lambda: FIXED
    )
    # Faults on top: an expired token (re-minted), a server error, a page; each writes logs.
    server.set_faults(
        {
            "scopes": {
                "skill:sk-sales": {"error_rates": {"401": 1.0}, "fail_first": 1},
                "skill:sk-billing": {"error_rates": {"503": 1.0}},
            }
        }
    )
    emitted: list[str] = []
    open_db = partial(connect, database)
    settings = settings_for(server.base_url, jti_mode=True)
    outcome = run_tick(open_db, settings, SCOPES, tick_id="t-secret")
    emitted += [repr(outcome), str(outcome.status_counts), repr(settings)]
    emitted += [f"{r.error_text} {r.body}" for r in outcome.results]

    # A server that echoes the token and the secret back, in an error and in a success body.
    def echo(handler: BaseHTTPRequestHandler, request: bytes) -> tuple[int, bytes]:
        token = handler.headers["auth"]
        if b"sk-sales" in request:
            return 400, json.dumps({"errors": [{"msg": f"bad {token} {SECRET}"}]}).encode()
        agent = {"_id": "a-echo", "firstName": token, "lastName": SECRET}
        return 200, json.dumps({"AVAILABLE": [agent], "BUSY": []}).encode()

    with serving(echo) as host:
        echoed = run_tick(open_db, settings_for(host), SCOPES[:2], tick_id="t-echo")
    emitted += [f"{r.error_text} {r.body}" for r in echoed.results]

    # A Dagster run (one scope failing, so warnings and check metadata are written) and a run
    # with a wrong secret, which fails; then the day's coverage and its report files.
    instance = DagsterInstance.ephemeral()
    env = server.env(include_secret=True)
    kore = {k: env[v] for k, v in (("host", "KORE_HOST"), ("bot_id", "KORE_BOT_ID"),
            ("account_id", "KORE_ACCOUNT_ID"), ("client_id", "KORE_CLIENT_ID"))}  # fmt: skip
    kore.update(jti_mode=True, max_attempts=2, backoff_base_seconds=0.02, backoff_cap_seconds=0.05)
    resources = {
        "kore": KoreResource(**kore, client_secret=SECRET),
        "scopes": ScopesResource(path=str(scopes_file(tmp_path / "scopes.toml", SCOPES))),
        "warehouse": WarehouseResource(database=database),
        "coverage_config": CoverageResource(time_zone="UTC"),
    }  # fmt: skip
    runs = [
        materialize(
            [availability_snapshots, last_tick_scopes_succeeded],
            resources=resources,
            instance=instance,
        )
    ]
    wrong = "wrong-secret-that-must-not-show-either-123456"
    runs.append(
        materialize(
            [availability_snapshots],
            resources={**resources, "kore": KoreResource(**kore, client_secret=wrong)},
            instance=instance,
            raise_on_error=False,
        )
    )
    assert runs[0].success and not runs[1].success
    day = FIXED.date().isoformat()
    runs.append(
        materialize(
            [agent_status_spans, coverage_intervals, staffing_requirements,
             coverage_vs_requirement, coverage_report],
            resources={k: resources[k] for k in ("warehouse", "coverage_config")},
            instance=instance,
            partition_key=day,
        )
    )  # fmt: skip
    assert runs[2].success
    for run in runs:
        emitted.append(repr(instance.get_run_by_id(run.run_id)))
        emitted += [repr(entry) for entry in instance.all_logs(run.run_id)]
        emitted += [repr(event) for event in run.all_events]
    report_files = [p for p in reports.rglob("*") if p.is_file()]
    assert report_files, "the report asset wrote nothing to scan"
    emitted += [p.read_text(encoding="utf-8", errors="replace") for p in report_files]
    emitted.append(all_table_text(database))
    out, err = capfd.readouterr()
    emitted += [out, err, caplog.text]
    emitted += [f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records]

    everything = "\n".join(emitted)
    assert len(minted) >= 8 and len(set(minted)) == len(minted)  # JTI: one token per request
    assert "sk-sales" in everything and "KORE_CLIENT_SECRET" in everything  # the scan has data
    assert SECRET not in everything
    assert wrong not in everything
    assert PII_KEY not in everything
    leaked = [token for token in set(minted) if token in everything]
    assert leaked == []
    assert JWT.findall(everything) == []


def test_settings_and_policy_reprs_hide_their_secrets() -> None:
    settings = settings_for("https://platform.kore.ai")
    policy = PiiPolicy("hash", key=PII_KEY.encode())
    assert SECRET not in repr(settings) and PII_KEY not in repr(policy)
    with pytest.raises(KoreConfigError) as refused:
        KoreSettings.from_env(
            {"KORE_HOST": "https://platform.kore.ai", "KORE_BOT_ID": "b", "KORE_ACCOUNT_ID": "a",
             "KORE_CLIENT_ID": "c", "KORE_CLIENT_SECRET": SECRET, "KORE_MAX_ATTEMPTS": SECRET}
        )  # fmt: skip
    assert "KORE_MAX_ATTEMPTS" in str(refused.value)


# --------------------------------------------------------------------------------------------
# Personal data
# --------------------------------------------------------------------------------------------


def contact_data(server: SimulatorServer) -> tuple[list[str], list[str]]:
    roster = server.simulator.roster
    return [a.email for a in roster], [a.phone for a in roster]


def pii_tick(
    server: SimulatorServer, database: str, tick_id: str, pii: PiiPolicy | None = None
) -> None:
    run_tick(
        partial(connect, database),
        settings_for(server.base_url, client_secret=server.config.client_secret),
        SCOPES,
        tick_id=tick_id,
        pii=pii,
    )


def test_pii_default_is_keyed_stable_hash_in_every_table(
    simulator_factory: Factory, tmp_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AVAILABILITY_PII", raising=False)
    monkeypatch.delenv("AVAILABILITY_PII_KEY", raising=False)
    server = simulator_factory(agents=30, rate_limit_per_minute=None, clock=lambda: FIXED)
    # The simulator is on loopback: without AVAILABILITY_PII_KEY the database's key is used.
    pii_tick(server, tmp_db, "t-1")
    pii_tick(server, tmp_db, "t-2")
    emails, phones = contact_data(server)
    stored = all_table_text(tmp_db)
    assert not [value for value in emails + phones if value in stored]
    with connect(tmp_db, read_only=True) as con:
        agents = con.execute("SELECT agent_id, first_name, email, phone FROM agents").fetchall()
        key_hex = con.execute("SELECT key_hex FROM pii_keys").fetchall()[0][0]
        bodies = con.execute(
            "SELECT tick_id, body FROM raw_responses WHERE scope_key = 'all' ORDER BY tick_id"
        ).fetchall()
    policy = PiiPolicy("hash", key=bytes.fromhex(key_hex))
    by_id = {a.agent_id: a for a in server.simulator.roster}
    assert len(agents) == 30
    for agent_id, first_name, email, phone in agents:
        assert first_name == by_id[agent_id].first_name  # names are kept
        assert email == policy.protect_value(by_id[agent_id].email)  # stable: joins work
        assert phone == policy.protect_value(by_id[agent_id].phone)
        assert email.startswith("pii:") and len(email) == 36
    # The raw body of both ticks carries the same hashes (same key, same input).
    first, second = (json.loads(body) for _, body in bodies)
    hashes = {a["_id"]: a["emailId"] for agents in first.values() for a in agents}
    assert hashes == {a["_id"]: a["emailId"] for agents in second.values() for a in agents}
    # A key of one's own gives different hashes: the stored key is not some fixed constant.
    assert PiiPolicy("hash", key=b"x" * 32).protect_value(emails[0]) != policy.protect_value(
        emails[0]
    )


@pytest.mark.parametrize("mode", ["keep", "drop"])
def test_pii_keep_and_drop(mode: str, simulator_factory: Factory, tmp_db: str) -> None:
    server = simulator_factory(agents=20, rate_limit_per_minute=None, clock=lambda: FIXED)
    pii_tick(server, tmp_db, "t-1", PiiPolicy.from_env({"AVAILABILITY_PII": mode}))
    emails, phones = contact_data(server)
    stored = all_table_text(tmp_db)
    with connect(tmp_db, read_only=True) as con:
        counts = con.execute(
            "SELECT count(*), count(email), count(phone), count(first_name) FROM agents"
        ).fetchall()[0]
        body = con.execute("SELECT body FROM raw_responses WHERE scope_key = 'all'").fetchall()[0][
            0
        ]
    if mode == "keep":
        assert counts == (20, 20, 20, 20)
        assert all(value in stored for value in emails + phones)
    else:
        assert counts == (20, 0, 0, 20)
        assert not [value for value in emails + phones if value in stored]
        assert "emailId" not in body and "phoneNumber" not in body and "firstName" in body


def test_pii_in_a_truncated_body_is_protected_too(simulator_factory: Factory, tmp_db: str):
    server = simulator_factory(agents=30, rate_limit_per_minute=None, clock=lambda: FIXED)
    server.set_faults({"body": ["truncate"]})  # every answer cut: the bodies land as errors
    for mode in ("hash", "drop"):
        pii_tick(server, tmp_db, f"t-{mode}", PiiPolicy(mode, key=b"k" * 32))
    emails, phones = contact_data(server)
    stored = all_table_text(tmp_db)
    with connect(tmp_db, read_only=True) as con:
        outcomes = con.execute("SELECT DISTINCT outcome FROM raw_responses").fetchall()
    assert outcomes == [("error",)] and '"emailId":' in stored
    assert not [v for v in emails + phones if v in stored]
    assert not [v for v in emails + phones if v[: len(v) // 2 + 1] in stored]  # cut ones too


def test_pii_hash_for_a_real_tenant_needs_a_key(tmp_db: str) -> None:
    settings = settings_for("https://platform.kore.ai")
    no_key = PiiPolicy.from_env({})
    with pytest.raises(PiiConfigError, match="AVAILABILITY_PII_KEY"):
        run_tick(partial(connect, tmp_db), settings, SCOPES, tick_id="t", pii=no_key)
    assert not Path(tmp_db).exists()  # refused before any request or write
    PiiPolicy.from_env({"AVAILABILITY_PII_KEY": PII_KEY}).require_key_for(settings.host)
    PiiPolicy.from_env({"AVAILABILITY_PII": "drop"}).require_key_for(settings.host)
    with pytest.raises(PiiConfigError, match="AVAILABILITY_PII must be one of"):
        PiiPolicy.from_env({"AVAILABILITY_PII": "encrypt"})
    with pytest.raises(PiiConfigError, match="16"):
        PiiPolicy.from_env({"AVAILABILITY_PII_KEY": "short"})


# --------------------------------------------------------------------------------------------
# Hostile IDs
# --------------------------------------------------------------------------------------------

HOSTILE = [
    "it's",
    'say "hi"',
    "a'; DROP TABLE ticks; --",
    "x); DELETE FROM snapshots WHERE (1=1",
    "$tick_id",
    "?",
    "back\\slash",
    "line\nbreak\ttab",
    "Ünïcødé-名前-🙂-مرحبا",
    "\u202eRTL override",
    "z" * 10_000,
]


def test_hostile_ids_from_the_scopes_file_land_byte_for_byte(
    simulator_factory: Factory, tmp_db: str, tmp_path: Path
) -> None:
    server = simulator_factory(agents=10, rate_limit_per_minute=None, clock=lambda: FIXED)
    wanted = [Scope("all", "", "All agents")]
    wanted += [Scope("skill", value, f"skill {value}") for value in HOSTILE]
    wanted += [Scope("queue", value, value) for value in HOSTILE[:4]]
    wanted += [Scope("agents", "odd;'list", "odd list", agent_ids=tuple(HOSTILE[:3]))]
    path = tmp_path / "scopes.toml"
    lines = []
    for scope in wanted:
        lines += ["[[scope]]", f'kind = "{scope.kind}"']
        lines += [f"name = {json.dumps(scope.name, ensure_ascii=False)}"]
        if scope.ref_id:
            lines += [f"id = {json.dumps(scope.ref_id, ensure_ascii=False)}"]
        if scope.agent_ids:
            lines += [f"agent_ids = {json.dumps(list(scope.agent_ids), ensure_ascii=False)}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    loaded = load_scopes(path)
    assert loaded == wanted
    settings = settings_for(server.base_url, client_secret=server.config.client_secret)
    for tick_id in ("t'; DROP TABLE raw_responses; --", "t'; DROP TABLE raw_responses; --"):
        outcome = run_tick(partial(connect, tmp_db), settings, loaded, tick_id=tick_id)
        assert not outcome.failed, [r.error_text for r in outcome.failed]
    with connect(tmp_db, read_only=True) as con:
        scopes = con.execute("SELECT scope_key, ref_id, name, agent_ids FROM scopes").fetchall()
        raw = con.execute("SELECT tick_id, scope_key FROM raw_responses").fetchall()
        ticks = con.execute("SELECT tick_id, scopes_asked FROM ticks").fetchall()
    assert sorted(row[0] for row in scopes) == sorted(s.key for s in wanted)
    by_key = {row[0]: row[1:] for row in scopes}
    for scope in wanted:
        assert by_key[scope.key][:2] == (scope.ref_id, scope.name)
    assert by_key["agents:odd;'list"][2] == HOSTILE[:3]
    assert sorted(key for _, key in raw) == sorted(s.key for s in wanted)
    assert ticks == [("t'; DROP TABLE raw_responses; --", len(wanted))]


def test_hostile_ids_in_responses_land_byte_for_byte(tmp_db: str) -> None:
    buckets: dict[str, list[dict[str, Any]]] = {"AVAILABLE": [], "BUSY": [], "OFFLINE": []}
    for n, value in enumerate(HOSTILE):
        status = ("AVAILABLE", "BUSY", "OFFLINE")[n % 3]
        buckets[status].append({"_id": value, "userId": value, "firstName": value})
    buckets["BUSY'; DROP TABLE agents; --"] = [{"_id": "a-in-an-odd-bucket"}]
    payload = json.dumps(buckets).encode("utf-8")
    with serving(lambda handler, request: (200, payload)) as host:
        settings = settings_for(host)
        for _ in range(2):  # twice: the re-run replaces, the upsert of agents takes them again
            outcome = run_tick(
                partial(connect, tmp_db), settings, SCOPES[:1], tick_id="t", pii=PiiPolicy("keep")
            )
            assert not outcome.failed
    with connect(tmp_db, read_only=True) as con:
        snapshots = con.execute("SELECT agent_id, user_id, status FROM snapshots").fetchall()
        agents = con.execute("SELECT agent_id, first_name FROM agents").fetchall()
        tables = con.execute("SELECT count(*) FROM information_schema.tables").fetchall()[0][0]
    expected = {
        (value, value, ("AVAILABLE", "BUSY", "OFFLINE")[n % 3]) for n, value in enumerate(HOSTILE)
    }
    expected.add(("a-in-an-odd-bucket", None, "BUSY'; DROP TABLE agents; --"))
    assert set(snapshots) == expected and len(snapshots) == len(expected)
    assert {(v, v) for v in HOSTILE} <= set(agents)
    assert tables >= 8


def test_every_statement_takes_values_as_parameters() -> None:
    """No SQL text in the ingest path is built from a value: f-strings only name tables."""
    package = PROJECT_ROOT / "pipelines"
    modules = ["warehouse.py", "warehouse/*.py", "polling.py", "kore/*.py"]
    paths = sorted(path for pattern in modules for path in package.glob(pattern))
    assert any(path.parent.name == "kore" for path in paths)
    for path in paths:
        source = path.read_text()
        for match in re.finditer(r'execute\(\s*f"([^"]*)"', source):
            assert re.fullmatch(r"[^{}]*\{table\}[^{}]*", match.group(1)), match.group(0)


# --------------------------------------------------------------------------------------------
# Transport
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("http://platform.kore.ai", False),
        ("http://10.0.0.8:8080", False),
        ("http://[::ffff:10.0.0.1]", False),
        ("http://127.0.0.1.nip.io", False),
        ("https://platform.kore.ai", True),
        ("http://127.0.0.1:8765", True),
        ("http://[::1]:8765", True),
        ("http://localhost:8765", True),
    ],
)
def test_plain_http_only_to_this_machine_unless_allowed(host: str, allowed: bool) -> None:
    if allowed:
        settings_for(host).validate()
        return
    with pytest.raises(KoreConfigError, match="KORE_ALLOW_INSECURE_HTTP"):
        settings_for(host).validate()
    settings_for(host, allow_insecure_http=True).validate()  # explicitly allowed


@pytest.mark.subprocess
def test_tls_certificates_are_verified(tmp_path: Path, tmp_db: str) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    body = json.dumps({"AVAILABLE": [{"_id": "a-1"}]}).encode()
    with serving(lambda handler, request: (200, body), tls=context) as host:
        outcome = run_tick(
            partial(connect, tmp_db), settings_for(host), SCOPES[:1], tick_id="t-tls"
        )
    (result,) = outcome.results
    assert result.error_kind == "connection" and result.http_status is None
    assert "CERTIFICATE_VERIFY_FAILED" in (result.error_text or "")
    assert outcome.counts["snapshot_rows"] == 0
