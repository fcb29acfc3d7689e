"""Flow hooks are bound at registration and checked before the bot starts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.athletes.questions import CHECKIN, FLOWS
from handlers import flow_hooks
from handlers.flow import Draft, Next, Then


def test_every_flow_has_its_completion_and_every_continuation_exists() -> None:
    hooks = flow_hooks()
    hooks.check()
    assert set(hooks.completions) == set(FLOWS)
    assert set(hooks.continuations) == set(Next)


@pytest.mark.parametrize("flow_name", sorted(FLOWS))
def test_a_flow_without_completion_stops_the_start(flow_name: str) -> None:
    hooks = flow_hooks()
    completions = {k: v for k, v in hooks.completions.items() if k != flow_name}
    with pytest.raises(ValueError, match=flow_name):
        replace(hooks, completions=completions).check()


def test_a_missing_continuation_stops_the_start() -> None:
    hooks = flow_hooks()
    continuations = {k: v for k, v in hooks.continuations.items() if k is not Next.READINESS}
    with pytest.raises(ValueError, match="readiness"):
        replace(hooks, continuations=continuations).check()


def test_a_draft_keeps_its_continuation_as_data() -> None:
    prefill = {"finished_at": "2026-11-30T10:00:00+00:00", "duration_min": 60}
    draft = Draft(
        flow=CHECKIN.name,
        id="ab12",
        answers={"consent": True},
        prefilled=["consent"],
        step=1,
        last_update_id=7,
        started_at="2026-11-30T10:05:00+00:00",
        tz="UTC",
        then=Then(Next.CHECKIN, prefill),
    )
    doc = draft.to_doc()
    assert doc["then"] == {"next": "checkin", "data": prefill}
    assert Draft.from_doc(doc) == draft
