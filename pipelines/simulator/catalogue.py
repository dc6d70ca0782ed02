"""The simulated tenant's skills and queues, and who belongs to which at the start.

The default catalogue (6 skills, 4 queues) is the one ``config/scopes.toml`` names, with the
roster's skills exactly as before. Any other size generates ``sk-NNN`` skills and ``qu-NNN``
queues with readable names, and gives every agent 1-4 skills and the queues that serve them
plus, for some agents, a queue joined directly; every skill and queue has members as soon as
the roster has at least as many agents as skills. Everything is deterministic for
``(agents, seed, skills, queues)``.

Queue membership is explicit per agent (as Kore keeps it): once the roster is built, a queue's
members are the agents listing it, whatever skills they gain or lose later.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
from dataclasses import dataclass

from pipelines.simulator.roster import QUEUES, SKILLS, Agent

__all__ = [
    "DEFAULT_QUEUES",
    "DEFAULT_SKILLS",
    "MAX_SKILLS_PER_AGENT",
    "Catalogue",
    "assign_membership",
    "make_catalogue",
]

DEFAULT_SKILLS = len(SKILLS)
DEFAULT_QUEUES = len(QUEUES)
MAX_SKILLS_PER_AGENT = 4

_TOPICS = (
    "Billing", "Sales", "Technical Support", "Retention", "Spanish", "VIP", "Claims",
    "Onboarding", "Payments", "Fraud", "Shipping", "Returns", "Warranty", "French", "German",
    "Portuguese", "Mandarin", "Premium", "Small Business", "Enterprise", "Mortgages", "Loans",
    "Insurance", "Roaming", "Broadband", "Mobile", "Hardware", "Software", "Accessibility",
    "Collections",
)  # fmt: skip
_LEGACY_GROUPS = {
    "sk-billing": ("sg-customer-care", "Customer Care"),
    "sk-sales": ("sg-customer-care", "Customer Care"),
    "sk-retention": ("sg-customer-care", "Customer Care"),
    "sk-vip": ("sg-customer-care", "Customer Care"),
    "sk-tech-support": ("sg-technical", "Technical"),
    "sk-spanish": ("sg-languages", "Languages"),
}
_PROFICIENCY = ("beginner", "average", "expert")


@dataclass(frozen=True)
class Catalogue:
    """Skills (id -> name), queues (id -> (name, skills it serves)) and skill groups."""

    skills: dict[str, str]
    queues: dict[str, tuple[str, tuple[str, ...]]]
    skill_groups: dict[str, tuple[str, str]]  # skill id -> (group id, group name)

    @property
    def is_default(self) -> bool:
        """The scopes file's catalogue, with today's roster skills."""
        return self.skills == SKILLS and self.queues == QUEUES

    def skill_order(self, skill_ids: set[str] | frozenset[str]) -> tuple[str, ...]:
        """``skill_ids`` in catalogue order (unknown ids dropped)."""
        return tuple(s for s in self.skills if s in skill_ids)

    def queue_order(self, queue_ids: set[str] | frozenset[str]) -> tuple[str, ...]:
        """``queue_ids`` in catalogue order (unknown ids dropped)."""
        return tuple(q for q in self.queues if q in queue_ids)

    def queue_description(self, queue_id: str) -> str:
        """A short description naming the skills the queue serves."""
        _, skills = self.queues[queue_id]
        return "Serves " + ", ".join(self.skills[s] for s in skills)

    @staticmethod
    def proficiency(agent_id: str, skill_id: str) -> str:
        """A stable proficiency level for one agent's skill."""
        digest = hashlib.sha256(f"{agent_id}:{skill_id}".encode()).digest()
        return _PROFICIENCY[digest[0] % len(_PROFICIENCY)]


def make_catalogue(skills: int = DEFAULT_SKILLS, queues: int = DEFAULT_QUEUES) -> Catalogue:
    """The default catalogue for (6, 4), else ``skills`` generated skills and ``queues`` queues.

    A generated queue serves one skill (queue k serves skill k mod N) and, for every third
    queue, a second one, so queues overlap the way real routing does.
    """
    if skills < 1:
        raise ValueError(f"skills must be >= 1, not {skills}")
    if queues < 0:
        raise ValueError(f"queues must be >= 0, not {queues}")
    if (skills, queues) == (DEFAULT_SKILLS, DEFAULT_QUEUES):
        return Catalogue(dict(SKILLS), dict(QUEUES), dict(_LEGACY_GROUPS))
    skill_names: dict[str, str] = {}
    groups: dict[str, tuple[str, str]] = {}
    for i in range(skills):
        topic = _TOPICS[i % len(_TOPICS)]
        round_ = i // len(_TOPICS)
        skill_id = f"sk-{i + 1:03d}"
        skill_names[skill_id] = topic if round_ == 0 else f"{topic} {round_ + 1}"
        group = i // 5
        groups[skill_id] = (f"sg-{group + 1:03d}", f"Skill group {group + 1}")
    skill_ids = list(skill_names)
    queue_map: dict[str, tuple[str, tuple[str, ...]]] = {}
    for k in range(queues):
        served = [skill_ids[k % skills]]
        if k % 3 == 2 and skills > 1:
            served.append(skill_ids[(k * 7 + 3) % skills])
            if served[1] == served[0]:
                served[1] = skill_ids[(k + 1) % skills]
        name = " & ".join(skill_names[s] for s in served) + " queue"
        if k >= skills:
            name += f" {k // skills + 1}"
        ordered = tuple(s for s in skill_ids if s in served)
        queue_map[f"qu-{k + 1:03d}"] = (name, ordered)
    return Catalogue(skill_names, queue_map, groups)


def assign_membership(roster: list[Agent], catalogue: Catalogue, seed: int) -> list[Agent]:
    """The roster with each agent's starting skills and queues for ``catalogue``.

    The default catalogue keeps the roster's own skills and the queues serving them. A
    generated one draws from its own seeded generator (names, IDs and shifts stay those of
    the roster): agent i < N starts with skill i so every skill has members, then 0-3 more;
    its queues are those serving any of its skills, and one in five agents also joins a
    queue directly.
    """
    if catalogue.is_default:
        return [dataclasses.replace(a, queues=_served_queues(catalogue, a.skills)) for a in roster]
    rng = random.Random(f"membership:{seed}:{len(catalogue.skills)}:{len(catalogue.queues)}")
    skill_ids = list(catalogue.skills)
    queue_ids = list(catalogue.queues)
    out: list[Agent] = []
    for i, agent in enumerate(roster):
        primary = skill_ids[i] if i < len(skill_ids) else rng.choice(skill_ids)
        extra = rng.choices([0, 1, 2, 3], weights=[0.35, 0.35, 0.2, 0.1])[0]
        others = [s for s in skill_ids if s != primary]
        skills = catalogue.skill_order({primary, *rng.sample(others, min(extra, len(others)))})
        queues = set(_served_queues(catalogue, skills))
        if queue_ids and (rng.random() < 0.2 or (i < len(queue_ids) and not queues)):
            queues.add(queue_ids[i] if i < len(queue_ids) else rng.choice(queue_ids))
        out.append(dataclasses.replace(agent, skills=skills, queues=catalogue.queue_order(queues)))
    return out


def _served_queues(catalogue: Catalogue, skills: tuple[str, ...]) -> tuple[str, ...]:
    """Queues serving any of ``skills``, in catalogue order."""
    mine = set(skills)
    return tuple(q for q, (_, served) in catalogue.queues.items() if mine & set(served))
