"""The advice engine: evaluate the rule catalogue for one answer and render the reply and Why?."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, tzinfo
from typing import Any

from rules.article import EXTERNAL_SOURCES, SENTENCES
from rules.catalogue import RULES, Role, Rule
from rules.facts import Facts, build_facts
from rules.model import CheckIn

MAX_POINTS = 4
MAX_REPLY_CHARS = 600
BEYOND_MARK = "†"
BEYOND_NOTE = "† Beyond the article, see Why?"
DISCLAIMER = "General guidance, not a diagnosis."
# When the reply is too long, points go in this order (lowest first); cautions and the open
# refuel window never do.
DROP_ORDER = {Role.EXPLAIN: 0, Role.ADVICE: 1, Role.ACTION: 2}
NEVER_DROPPED = frozenset({"refuel_window"})


@dataclass(frozen=True, slots=True)
class AdviceItem:
    """One rendered point with the article sentences (`sources`) or citations (`beyond`) it uses."""

    rule_id: str
    text: str
    role: Role
    sources: tuple[str, ...] = ()
    beyond: tuple[str, ...] = ()

    def to_doc(self) -> dict[str, Any]:
        """The stored form (kept with the check-in, so Why? explains exactly what was shown)."""
        return {
            "rule": self.rule_id,
            "text": self.text,
            "role": str(self.role),
            "sources": list(self.sources),
            "beyond": list(self.beyond),
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> AdviceItem:
        """Rebuild a stored point."""
        return cls(
            rule_id=str(doc["rule"]),
            text=str(doc["text"]),
            role=Role(doc.get("role", Role.ADVICE)),
            sources=tuple(doc.get("sources", ())),
            beyond=tuple(doc.get("beyond", ())),
        )

    def explain(self, position: int, total: int) -> str:
        """Why? for this point: the point, then each article sentence or citation behind it."""
        blocks = [f"Why? Point {position} of {total}", self.text]
        quotes = [f"“{SENTENCES[key]}”" for key in self.sources if key in SENTENCES]
        if quotes:
            blocks.append("From the article:\n" + "\n".join(quotes))
        cites = [EXTERNAL_SOURCES[key] for key in self.beyond if key in EXTERNAL_SOURCES]
        if cites:
            blocks.append("Beyond the article, source:\n" + "\n".join(cites))
        return "\n\n".join(blocks)


@dataclass(frozen=True)
class Advice:
    """The selected points, the one thing to do now first, and whether the red flag is raised."""

    items: tuple[AdviceItem, ...]
    red_flag: bool

    @property
    def caution(self) -> bool:
        """Some point advises caution (the reply then says it is not a diagnosis)."""
        return any(item.role is Role.CAUTION for item in self.items)

    def render(self) -> str:
        """The phone-sized reply: the action first, then short bullets, then the footnotes."""
        first, *rest = self.items
        lines = [first.text, *(f"• {item.text}" for item in rest)]
        notes = ([DISCLAIMER] if self.caution else []) + (
            [BEYOND_NOTE] if any(item.beyond for item in self.items) else []
        )
        if notes:
            lines.append(" ".join(notes))
        return "\n".join(lines)

    def to_doc(self) -> list[dict[str, Any]]:
        """The points as stored with the check-in."""
        return [item.to_doc() for item in self.items]


def advise(
    checkin: CheckIn,
    history: Sequence[CheckIn],
    now: datetime,
    *,
    tz: tzinfo = UTC,
    bedtime: time | None = None,
    followup_at: datetime | None = None,
) -> Advice:
    """Guidance for `checkin`, given earlier answers and the follow-up actually planned."""
    facts = build_facts(checkin, history, now, tz=tz, bedtime=bedtime, followup_at=followup_at)
    fired = [rule for rule in RULES if rule.condition(facts)]
    if any(rule.role is Role.CAUTION for rule in fired):
        fired = [rule for rule in fired if rule.role is not Role.EXPLAIN]
    chosen = sorted(_cap(fired), key=lambda rule: -rule.priority)
    items = [_item(rule, facts) for rule in chosen]
    advice = Advice(items=tuple(items), red_flag=facts.red_flag)
    while len(advice.render()) > MAX_REPLY_CHARS and (spare := _spare(advice.items)):
        advice = Advice(tuple(i for i in advice.items if i is not spare), facts.red_flag)
    return advice


def _spare(items: Sequence[AdviceItem]) -> AdviceItem | None:
    """The point to leave out of a reply that is too long: explanations, then hints, then the
    late-refuel and sleep points; never a caution or the open refuel window."""
    spare = [i for i in items if i.role in DROP_ORDER and i.rule_id not in NEVER_DROPPED]
    return min(spare, key=lambda i: (DROP_ORDER[i.role], -items.index(i)), default=None)


def _cap(fired: list[Rule]) -> list[Rule]:
    """At most MAX_POINTS by priority; pinned and caution points are never dropped."""
    kept = [rule for rule in fired if rule.pinned or rule.role is Role.CAUTION]
    others = sorted((rule for rule in fired if rule not in kept), key=lambda r: -r.priority)
    return kept + others[: max(0, MAX_POINTS - len(kept))]


def _item(rule: Rule, facts: Facts) -> AdviceItem:
    """Render one fired rule: its message, a beyond-the-article note if due, and its sources."""
    cited = rule.cited(facts)
    text = marked(rule.message(facts)) if rule.beyond_article else rule.message(facts)
    beyond = cited if rule.beyond_article else ()
    sources = () if rule.beyond_article else cited
    note = next((n for n in rule.notes if n.condition(facts)), None)
    if note is not None:
        text += " " + marked(note.message(facts))
        beyond = (*beyond, note.source)
    return AdviceItem(rule.id, text, rule.role, sources, beyond)


def marked(sentence: str) -> str:
    """A sentence flagged as going beyond the article (its sources are under Why?)."""
    return f"{sentence}{BEYOND_MARK}"
