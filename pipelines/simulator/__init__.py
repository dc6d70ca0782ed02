"""A Kore.ai-compatible simulator of the Agent AI "Check Agent Availability Status" endpoint.

Kore.ai is not reachable from the build and demo machines, so the pipeline is developed, demoed
and tested against this simulator instead. It is a real HTTP server (standard library only, plus
PyJWT) that honours the real contract as far as Kore.ai documents it: the ``auth`` JWT header,
the ``accountId`` header, Kore-shaped error bodies, the per-account rate limit and the optional
JTI enforcement. Behind it sits a deterministic model of a small contact centre (contacts
routed over a roster, one local day at a time) whose statuses can be computed for any instant
without simulating from a starting point, so the pipeline's polled figures can be checked
against the exact truth (``/debug/truth``).

Only loopback addresses are used unless the operator explicitly allows otherwise.

The package, walked in dependency order:

- ``roster``: the default skills and queues, shifts, channels and the deterministic roster;
- ``catalogue``: the catalogue's size (``skills``, ``queues``) and the agents' starting
  membership;
- ``membership``: membership at any instant (changes during a day), filter selection, drift;
- ``presence``: each agent's shift plan (log-in, breaks, lunch, training, idle spells);
- ``profile``: each queue's demand (daily shape, handle time, patience);
- ``contacts``: one local day simulated: arrivals routed over the agents, every status;
- ``model``: the status model (:class:`Simulator`), its truth timeline and the availability
  answer;
- ``callvolume`` and ``callvolume_route``: Kore's Contact Volume rows and route;
- ``status_details`` and ``history_routes``: Agent Status Details v3 and Historical Agent
  Status Summary, views of the truth timeline, and their routes;
- ``listing``: List All Agents and queues/agents, answered from the model;
- ``faults``: injected failures, the per-request draws and the body mutations;
- ``config``: :class:`SimulatorConfig`, everything that shapes the tenant and the server;
- ``auth``: Kore.ai's JWT checks (JTI mode included) and the loopback check;
- ``handler``, ``debug`` and ``server``: the HTTP endpoints (Kore's and ``/debug/*``) and
  :class:`SimulatorServer` (one rate window per account for every endpoint, request log);
- ``cli``: ``availability simulate``;
- ``history``: synthetic snapshot history written straight to DuckDB from the model.
"""

from pipelines.simulator.catalogue import Catalogue
from pipelines.simulator.cli import main
from pipelines.simulator.config import API_SCOPES, SimulatorConfig
from pipelines.simulator.faults import BODY_FAULTS, Faults
from pipelines.simulator.handler import RATE_LIMIT_MESSAGE
from pipelines.simulator.membership import MembershipChange
from pipelines.simulator.model import BUCKETS, Simulator, StatusSpan
from pipelines.simulator.profile import QueueProfile
from pipelines.simulator.roster import CHANNELS, QUEUES, SHIFTS, SKILLS, Agent, Shift
from pipelines.simulator.server import RequestRecord, SimulatorServer, StatusCounts

__all__ = [
    "API_SCOPES",
    "BODY_FAULTS",
    "BUCKETS",
    "CHANNELS",
    "QUEUES",
    "RATE_LIMIT_MESSAGE",
    "SHIFTS",
    "SKILLS",
    "Agent",
    "Catalogue",
    "Faults",
    "MembershipChange",
    "QueueProfile",
    "RequestRecord",
    "Shift",
    "Simulator",
    "SimulatorConfig",
    "SimulatorServer",
    "StatusCounts",
    "StatusSpan",
    "main",
]
