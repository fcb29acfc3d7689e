"""General tips for someone who shares nothing: the article's points for one kind of session,
with no answers, no clock times and nothing stored (docs/guidance.md)."""

from __future__ import annotations

from rules.catalogue import SLEEP_WHY, perceived_reason, physical_reason
from rules.facts import INTENSE_SESSION_TYPES
from rules.model import SESSION_LABELS, SessionType

REFUEL = (
    "Eat a 3:1 carb-to-protein snack within 30–60 minutes of finishing: it speeds up refilling "
    "your legs' fuel."
)
CAUTION = (
    "If the heaviness lasts beyond 48 hours, especially with joint pain or sharp muscle "
    "twitching, ease off: recovery may be compromised, not just delayed."
)
FOOTER = (
    "General tips after {session}, from a sports-science article: not a diagnosis. Nothing "
    "was stored."
)


def why_heavy(session: SessionType) -> str:
    """Why legs feel heavy after this kind of session: the rules' own explanation of it."""
    if session in INTENSE_SESSION_TYPES or session is SessionType.TEAM:
        return physical_reason("hard", sustained=False, intense=True)
    if session is SessionType.ENDURANCE:
        return physical_reason("hard", sustained=True, intense=False)
    return perceived_reason("easy")


def general_tips(session: SessionType) -> str:
    """The general reply for one kind of session: like every reply, its first line is what to
    do now (refuel); then sleep, why the legs are heavy, and when to be careful."""
    footer = FOOTER.format(session=SESSION_LABELS[session].lower())
    return (
        f"{REFUEL}\n• Make sleep a priority tonight: {SLEEP_WHY}.\n• {why_heavy(session)}\n"
        f"• {CAUTION}\n\n{footer}"
    )
