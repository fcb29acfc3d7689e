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
BEYOND_MARK = " (beyond the article)"
DISCLAIMER = "General guidance, not a diagnosis."


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
        """The phone-sized reply: the action first, then short bullets, then the disclaimer."""
        first, *rest = self.items
        lines = [first.text, *(f"• {item.text}" for item in rest)]
        if self.caution:
            lines.append(DISCLAIMER)
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
    return Advice(items=tuple(_item(rule, facts) for rule in chosen), red_flag=facts.red_flag)


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
    if rule.note is not None and rule.note.condition(facts):
        text += " " + marked(rule.note.message(facts))
        beyond = (*beyond, rule.note.source)
    return AdviceItem(rule.id, text, rule.role, sources, beyond)


def marked(sentence: str) -> str:
    """A sentence flagged as going beyond the article, the mark before its full stop."""
    return f"{sentence.removesuffix('.')}{BEYOND_MARK}."
