"""The simulated tenant's catalogue and roster: skills, queues, shifts, channels and agents.

Who works here is fixed by ``(agents, seed)`` alone, so the roster the HTTP API lists, the
truth oracle and the synthetic history all describe the same people. What each agent is doing
at an instant is the status model's business (:mod:`pipelines.simulator.model`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import time as dtime
from typing import Any

__all__ = [
    "CHANNELS",
    "QUEUES",
    "SHIFTS",
    "SKILLS",
    "Agent",
    "Shift",
    "channel_capacity",
    "make_roster",
]

SKILLS: dict[str, str] = {
    "sk-billing": "Billing",
    "sk-sales": "Sales",
    "sk-tech-support": "Technical Support",
    "sk-retention": "Retention",
    "sk-spanish": "Spanish",
    "sk-vip": "VIP",
}

QUEUES: dict[str, tuple[str, tuple[str, ...]]] = {
    "qu-billing": ("Billing queue", ("sk-billing",)),
    "qu-sales": ("Sales queue", ("sk-sales",)),
    "qu-support": ("Support queue", ("sk-tech-support", "sk-spanish")),
    "qu-retention": ("Retention queue", ("sk-retention", "sk-vip")),
}

CHANNELS: tuple[str, ...] = ("liveChat", "messaging", "email", "voice", "voiceMail")

# Small built-in name lists: enough variety for a believable roster without any data files.
_FIRST_NAMES = (
    "Aisha", "Ben", "Carla", "Deepak", "Elena", "Farid", "Grace", "Hiro", "Isabel", "Jamal",
    "Katya", "Liam", "Maya", "Noah", "Olivia", "Pedro", "Quinn", "Rosa", "Sam", "Tariq",
    "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe", "Amara", "Bruno", "Chloe", "Diego",
)  # fmt: skip
_LAST_NAMES = (
    "Adams", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Johnson",
    "Kowalski", "Lopez", "Murphy", "Nguyen", "Okafor", "Patel", "Quintero", "Rossi", "Singh",
    "Torres", "Ueda", "Varga", "Walsh", "Xu", "Yilmaz", "Zimmer", "Abbott", "Brennan", "Costa",
    "Dubois",
)  # fmt: skip


@dataclass(frozen=True)
class Shift:
    """A working shift in local wall-clock time; ``end <= start`` means it ends the next day."""

    name: str
    start: dtime
    end: dtime
    weight: float


# Weights chosen so that at every hour of the local day a decent share of agents is logged in
# (the demo runs at arbitrary times): the early shift covers the 07:00-08:00 hand-over.
SHIFTS: dict[str, Shift] = {
    "early": Shift("early", dtime(6, 0), dtime(14, 30), 0.25),
    "day": Shift("day", dtime(8, 0), dtime(17, 0), 0.30),
    "evening": Shift("evening", dtime(14, 0), dtime(23, 0), 0.25),
    "night": Shift("night", dtime(22, 0), dtime(7, 0), 0.20),
}


@dataclass(frozen=True)
class Agent:
    """One simulated agent; ``channels`` maps channel name to total capacity (0 = disabled).

    ``skills`` and ``queues`` are the agent's starting membership; with membership changes
    configured, :meth:`Simulator.membership_at` is the truth at an instant.
    """

    agent_id: str
    user_id: str
    first_name: str
    last_name: str
    email: str
    custom_id: str
    phone: str
    skills: tuple[str, ...]
    shift: str
    index: int = 0
    channels: tuple[tuple[str, int], ...] = ()
    # The queues the agent starts in; the default roster's are those serving its skills.
    queues: tuple[str, ...] = ()

    def capacity(self, channel: str) -> int:
        """Total capacity on ``channel``; 0 when the channel is disabled."""
        return dict(self.channels).get(channel, 0)

    def kore_fields(self) -> dict[str, Any]:
        """The agent object as Kore.ai's v1 answer lists it (a new dict each call).

        The availability answer, the debug roster and the synthetic agents table all start
        from these fields, so the three never disagree on names or order.
        """
        return {
            "_id": self.agent_id,
            "userId": self.user_id,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "emailId": self.email,
            "customId": self.custom_id,
            "phoneNumber": self.phone,
        }


def make_roster(agents: int, seed: int) -> list[Agent]:
    """``agents`` agents, deterministic for ``(agents, seed)``; every skill has a member."""
    rng = random.Random(f"roster:{seed}")
    skill_ids = list(SKILLS)
    shift_names = list(SHIFTS)
    shift_weights = [SHIFTS[s].weight for s in shift_names]
    combos = len(_FIRST_NAMES) * len(_LAST_NAMES)
    if agents <= combos:
        picks = rng.sample(range(combos), agents)
    else:
        picks = [rng.randrange(combos) for _ in range(agents)]
    used_emails: dict[str, int] = {}
    roster: list[Agent] = []
    for i in range(agents):
        first = _FIRST_NAMES[picks[i] // len(_LAST_NAMES)]
        last = _LAST_NAMES[picks[i] % len(_LAST_NAMES)]
        local = f"{first}.{last}".lower()
        used_emails[local] = used_emails.get(local, 0) + 1
        if used_emails[local] > 1:
            local = f"{local}{used_emails[local]}"
        # The first agents cover every skill once so each skill has members.
        primary = skill_ids[i] if i < len(skill_ids) else rng.choice(skill_ids)
        extra = rng.choices([0, 1, 2], weights=[0.45, 0.4, 0.15])[0]
        others = [s for s in skill_ids if s != primary]
        skills = (primary, *rng.sample(others, extra))
        channels = _make_channels(rng)
        mine = set(skills)
        roster.append(
            Agent(
                agent_id=_hex_id(rng, "a"),
                user_id=_hex_id(rng, "u"),
                first_name=first,
                last_name=last,
                email=f"{local}@example.com",
                custom_id=str(1000 + i),
                phone=f"555{rng.randrange(10**7):07d}",
                skills=tuple(sorted(skills, key=skill_ids.index)),
                shift=rng.choices(shift_names, weights=shift_weights)[0],
                index=i,
                channels=channels,
                queues=tuple(q for q, (_, served) in QUEUES.items() if mine & set(served)),
            )
        )
    return roster


def _make_channels(rng: random.Random) -> tuple[tuple[str, int], ...]:
    voice = 1 if rng.random() < 0.8 else 0
    live_chat = rng.randint(2, 4) if rng.random() < 0.6 else 0
    messaging = rng.randint(2, 5) if rng.random() < 0.5 else 0
    email = rng.randint(3, 8) if rng.random() < 0.4 else 0
    voice_mail = 5 if voice and rng.random() < 0.3 else 0
    if not (voice or live_chat or messaging):
        voice = 1  # every agent must be able to take some live work
    return (
        ("liveChat", live_chat),
        ("messaging", messaging),
        ("email", email),
        ("voice", voice),
        ("voiceMail", voice_mail),
    )


def _hex_id(rng: random.Random, prefix: str) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{prefix}-{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def channel_capacity(
    agent: Agent, seg_start: int, bucket: str, detail: str
) -> dict[str, dict[str, Any]]:
    """Capacity per channel, consistent with the status the agent is in.

    One contact at a time (no chat concurrency): an agent handling one ("On Call" or "On
    Chat") uses one unit of that channel and has nothing free anywhere; AVAILABLE agents have
    every enabled channel free; other BUSY statuses (Training, Login Prep) and OFFLINE and
    AWAY use and offer none. So ``usedCapacity > 0`` exactly when the agent handles a
    contact, and the concurrency it shows is the true one, 1. ``seg_start`` is kept for
    callers; capacity no longer varies with it.
    """
    del seg_start
    used: dict[str, int] = dict.fromkeys(CHANNELS, 0)
    free: dict[str, int] = dict.fromkeys(CHANNELS, 0)
    totals = dict(agent.channels)
    if bucket == "AVAILABLE":
        free = {channel: totals.get(channel, 0) for channel in CHANNELS}
    elif bucket == "BUSY" and detail in ("On Call", "On Chat"):
        if detail == "On Call":
            channel = "voice"
        else:
            channel = "liveChat" if totals.get("liveChat") else "messaging"
        used[channel] = min(1, totals.get(channel, 0))
    return {
        channel: {
            "isEnabled": totals.get(channel, 0) > 0,
            "totalCapacity": totals.get(channel, 0),
            "usedCapacity": used[channel],
            "availableCapacity": free[channel],
        }
        for channel in CHANNELS
    }
