"""The loopback-only ``/debug/*`` endpoints: health, roster, truth, faults and request counts.

Tests and the demo read the simulator's exact truth here (statuses, membership, membership
changes, the contact log ``/debug/truth/contacts``, the final contact volume
``/debug/truth/volume`` and true arrival rates ``/debug/truth/arrival-rate``) and what it
served (per status, per endpoint, and a log of every Kore request).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from pipelines.net import is_loopback_host
from pipelines.simulator.listing import membership_document
from pipelines.simulator.model import as_utc

if TYPE_CHECKING:
    from pipelines.simulator.handler import _Handler

__all__ = ["cross_site_reason", "serve_debug"]

_MAX_TRUTH_RANGE = timedelta(days=8)


def _instant(params: dict[str, list[str]], name: str) -> datetime:
    return as_utc(datetime.fromisoformat(params[name][0]))


def _host_of(value: str) -> str:
    """The host of a Host header or an Origin (``http://127.0.0.1:8765`` -> ``127.0.0.1``)."""
    netloc = urlsplit(value).netloc if "//" in value else value
    if netloc.startswith("["):
        return netloc[: netloc.find("]") + 1]
    return netloc.rsplit(":", 1)[0] if netloc.count(":") == 1 else netloc


def cross_site_reason(headers: Mapping[str, str]) -> str | None:
    """Why a request to a debug endpoint may come from another site, or None.

    A loopback client address is not enough: a web page the user opens can make the browser
    send requests to 127.0.0.1 (a form post, or DNS rebinding, where the page's own name
    resolves to 127.0.0.1). The Host must name this machine literally (``localhost`` or a
    loopback address, never resolved), and an Origin or ``Sec-Fetch-Site`` a browser adds
    must say the request comes from this machine too. Tests and the demo send neither.
    """
    host = headers.get("Host") or ""
    if not is_loopback_host(_host_of(host)):
        return "the Host header must name this machine (localhost or a loopback address)"
    origin = headers.get("Origin")
    if origin is not None and not is_loopback_host(_host_of(origin)):
        return "a cross-site Origin is refused"
    site = (headers.get("Sec-Fetch-Site") or "").lower()
    if site and site not in ("same-origin", "none"):
        return "a cross-site request (Sec-Fetch-Site) is refused"
    return None


def serve_debug(handler: _Handler, method: str, path: str, query: str, raw: bytes) -> None:
    """Answer one ``/debug/*`` request: 403 unless the client is on loopback and the request
    is not cross-site (:func:`cross_site_reason`)."""
    if not is_loopback_host(str(handler.client_address[0])):
        handler._fail(403, "debug endpoints are served to loopback clients only")
        return
    refused = cross_site_reason(handler.headers)
    if refused:
        handler._fail(403, f"debug endpoints: {refused}")
        return
    owner = handler.server.owner
    simulator = owner.simulator
    params = parse_qs(query)
    if path == "/debug/health" and method == "GET":
        handler._send_json(200, {"ok": True})
    elif path == "/debug/roster" and method == "GET":
        handler._send_json(200, owner.roster_document())
    elif path == "/debug/truth" and method == "GET":
        try:
            start, end = _instant(params, "start"), _instant(params, "end")
            ids_param = params.get("agentIds", [""])[0]
            ids = [x for x in ids_param.split(",") if x] or None
            if end < start or end - start > _MAX_TRUTH_RANGE:
                raise ValueError("end must be after start and at most 8 days later")
            spans = simulator.timeline(start, end, ids)
        except (KeyError, ValueError) as exc:
            msg = (
                f"bad truth query: {exc}"
                if not isinstance(exc, KeyError)
                else (f"bad truth query: missing or unknown {exc}")
            )
            handler._fail(400, msg)
            return
        handler._send_json(
            200,
            {
                "spans": [
                    {
                        "agentId": s.agent_id,
                        "start": s.start.isoformat(),
                        "end": s.end.isoformat(),
                        "bucket": s.bucket,
                        "detail": s.detail,
                    }
                    for s in spans
                ]
            },
        )
    elif path == "/debug/truth/membership" and method == "GET":
        try:
            at = _instant(params, "at") if "at" in params else simulator.now()
        except ValueError as exc:
            handler._fail(400, f"bad membership query: {exc}")
            return
        handler._send_json(200, membership_document(simulator, at))
    elif path == "/debug/truth/membership/changes" and method == "GET":
        try:
            start, end = _instant(params, "start"), _instant(params, "end")
            if end < start or end - start > _MAX_TRUTH_RANGE:
                raise ValueError("end must be after start and at most 8 days later")
        except (KeyError, ValueError) as exc:
            handler._fail(400, f"bad membership query: {exc}")
            return
        changes = simulator.membership_changes(start, end)
        handler._send_json(200, {"changes": [c.to_dict() for c in changes]})
    elif path in _CONTACT_TRUTH and method == "GET":
        _contact_truth(handler, path, params)
    elif path == "/debug/faults" and method == "GET":
        handler._send_json(200, owner.faults_document())
    elif path == "/debug/faults" and method == "POST":
        try:
            update = json.loads(raw.decode("utf-8") or "{}")
            owner.set_faults(update)
        except (UnicodeDecodeError, json.JSONDecodeError):
            handler._fail(400, "request body is not valid JSON")
            return
        except (TypeError, ValueError) as exc:
            handler._fail(400, str(exc))
            return
        handler._send_json(200, owner.faults_document())
    elif path == "/debug/stats" and method == "GET":
        counts = owner.requests_served
        by_route = owner.requests_by_route()
        handler._send_json(
            200,
            {
                "total": counts.total,
                "byStatus": _by_status(counts),
                "byRoute": {route: _by_status(c) for route, c in by_route.items()},
            },
        )
    elif path == "/debug/requests" and method == "GET":
        handler._send_json(200, {"requests": [r.to_dict() for r in owner.requests_log]})
    else:
        handler._fail(404, f"Not found: {path}")


_CONTACT_TRUTH = ("/debug/truth/contacts", "/debug/truth/volume", "/debug/truth/arrival-rate")


def _contact_truth(handler: _Handler, path: str, params: dict[str, list[str]]) -> None:
    """The contact log, the final contact volume rows and a queue's true arrival rate."""
    simulator = handler.server.owner.simulator
    try:
        if path == "/debug/truth/arrival-rate":
            at = _instant(params, "at") if "at" in params else simulator.now()
            queue_id = params["queueId"][0]
            handler._send_json(
                200,
                {
                    "queueId": queue_id,
                    "at": at.isoformat(),
                    "perHour": simulator.arrival_rate(queue_id, at),
                },
            )
            return
        start, end = _instant(params, "start"), _instant(params, "end")
        if end < start or end - start > _MAX_TRUTH_RANGE:
            raise ValueError("end must be after start and at most 8 days later")
    except (KeyError, ValueError) as exc:
        handler._fail(400, f"bad contact truth query: {exc}")
        return
    if path == "/debug/truth/contacts":
        handler._send_json(200, {"contacts": simulator.contacts(start, end)})
        return
    flag = params.get("includeSkills", ["false"])[0].lower() in ("1", "true", "yes")
    served = params.get("asServed", ["false"])[0].lower() in ("1", "true", "yes")
    rows = simulator.contact_volume(start, end, flag, as_served=served)
    handler._send_json(200, {"CallVolumeUpdate": rows})


def _by_status(counts: dict[int, int]) -> dict[str, Any]:
    return {str(k): v for k, v in sorted(counts.items())}
