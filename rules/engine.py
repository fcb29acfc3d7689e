"""The advice engine: evaluate the rule catalogue for one check-in and render the reply."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, tzinfo

from rules.article import quote_for
from rules.catalogue import RULES, Rule
from rules.facts import Facts, build_facts
from rules.model import CheckIn

MAX_POINTS = 5
PINNED_RULES = frozenset({"red_flag_48h", "refuel_window"})
BEYOND_MARK = " (beyond the article)"
HEADLINES: tuple[tuple[str, str], ...] = (
    ("red_flag_48h", "Your legs need some extra care right now."),
    ("persistent_48h", "Your legs are still heavy, so let's go gently."),
    ("pain_watch", "Thanks for telling me how you feel; let's go gently."),
)
DEFAULT_HEADLINE = "Thanks for checking in. Here's your recovery plan:"


@dataclass(frozen=True)
class AdviceItem:
    """One rendered point with the sentence (or citation) it rests on."""

    rule_id: str
    text: str
    source_key: str
    quote: str
    beyond_article: bool
    extra_quotes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Advice:
    """The selected points, most important first, and whether the 48 h red flag is raised."""

    items: tuple[AdviceItem, ...]
    red_flag: bool

    @property
    def headline(self) -> str:
        """The first line of the reply, chosen by the most serious rule present."""
        ids = {item.rule_id for item in self.items}
        return next((text for rule_id, text in HEADLINES if rule_id in ids), DEFAULT_HEADLINE)

    def render(self) -> str:
        """The concise plain-text reply: headline, then one bullet per point."""
        bullets = [
            f"• {item.text}{BEYOND_MARK if item.beyond_article else ''}" for item in self.items
        ]
        return "\n".join([self.headline, *bullets])

    def render_why(self) -> str:
        """Each point followed by the verbatim article sentence or the external citation."""
        blocks = ["Why this advice:"]
        for item in self.items:
            if item.beyond_article:
                blocks.append(f"• {item.text}\n  Source{BEYOND_MARK}: {item.quote}")
                continue
            quotes = "\n".join(f"  “{quote}”" for quote in (item.quote, *item.extra_quotes))
            blocks.append(f"• {item.text}\n  From the article:\n{quotes}")
        return "\n\n".join(blocks)


def advise(
    checkin: CheckIn,
    history: Sequence[CheckIn],
    now: datetime,
    *,
    tz: tzinfo = UTC,
    bedtime: time | None = None,
) -> Advice:
    """Guidance for `checkin`, given the athlete's earlier check-ins and follow-ups."""
    facts = build_facts(checkin, history, now, tz=tz, bedtime=bedtime)
    fired = sorted((rule for rule in RULES if rule.condition(facts)), key=lambda r: -r.priority)
    items = tuple(_item(rule, facts) for rule in _cap(fired))
    return Advice(items=items, red_flag=facts.red_flag)


def _cap(fired: list[Rule]) -> list[Rule]:
    """Keep at most MAX_POINTS rules by priority, never dropping a pinned one."""
    pinned = [rule for rule in fired if rule.id in PINNED_RULES]
    room = max(0, MAX_POINTS - len(pinned))
    others = [rule for rule in fired if rule.id not in PINNED_RULES][:room]
    keep = {rule.id for rule in (*pinned, *others)}
    return [rule for rule in fired if rule.id in keep]


def _item(rule: Rule, facts: Facts) -> AdviceItem:
    """Render one fired rule with its quotes."""
    return AdviceItem(
        rule_id=rule.id,
        text=rule.message(facts),
        source_key=rule.source,
        quote=quote_for(rule.source),
        beyond_article=rule.beyond_article,
        extra_quotes=tuple(quote_for(key) for key in rule.also_cites),
    )
