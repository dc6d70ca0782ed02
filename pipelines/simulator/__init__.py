"""A Kore.ai-compatible simulator of the Agent AI "Check Agent Availability Status" endpoint.

Kore.ai is not reachable from the build and demo machines, so the pipeline is developed, demoed
and tested against this simulator instead. It is a real HTTP server (standard library only, plus
PyJWT) that honours the real contract as far as Kore.ai documents it: the ``auth`` JWT header,
the ``accountId`` header, Kore-shaped error bodies, the per-account rate limit and the optional
JTI enforcement. Behind it sits a deterministic model of a contact-center roster whose statuses
can be computed for any instant without simulating from a starting point, so the pipeline's
polled figures can be checked against the exact truth (``/debug/truth``).

Only loopback addresses are used unless the operator explicitly allows otherwise.

The package, walked in dependency order:

- ``roster``: skills, queues, shifts, channels and the deterministic roster of agents;
- ``model``: the status model (:class:`Simulator`), its truth timeline and the availability
  answer;
- ``faults``: injected failures, the per-request draws and the body mutations;
- ``config``: :class:`SimulatorConfig`, everything that shapes the tenant and the server;
- ``auth``: Kore.ai's JWT checks (JTI mode included) and the loopback check;
- ``handler`` and ``server``: the HTTP endpoints and :class:`SimulatorServer`;
- ``cli``: ``availability simulate``;
- ``history``: synthetic snapshot history written straight to DuckDB from the model.
"""

from pipelines.simulator.cli import main
from pipelines.simulator.config import SimulatorConfig
from pipelines.simulator.faults import BODY_FAULTS, Faults
from pipelines.simulator.handler import RATE_LIMIT_MESSAGE
from pipelines.simulator.model import BUCKETS, Simulator, StatusSpan
from pipelines.simulator.roster import CHANNELS, QUEUES, SHIFTS, SKILLS, Agent, Shift
from pipelines.simulator.server import SimulatorServer, StatusCounts

__all__ = [
    "BODY_FAULTS",
    "BUCKETS",
    "CHANNELS",
    "QUEUES",
    "RATE_LIMIT_MESSAGE",
    "SHIFTS",
    "SKILLS",
    "Agent",
    "Faults",
    "Shift",
    "Simulator",
    "SimulatorConfig",
    "SimulatorServer",
    "StatusCounts",
    "StatusSpan",
    "main",
]
