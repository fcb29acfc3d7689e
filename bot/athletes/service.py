"""The athlete's business rules on top of the store, written once for every backend: joining and
leaving teams, refuelling, and what /export shows and /forget erases.

Invariant: a team lists an athlete only while the athlete's profile lists the team, so /forget
always finds every team to clean. Joining writes the profile first; leaving the team first
(sharing stops with that write).
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from bot.storage import Store, TeamDoc
from bot.storage.base import Record, ReminderFilter
from rules.reminders import NUTRITION_KINDS, ReminderStatus

LEFT_TEAM = "left team"
PERSON_SECTIONS = ("members", "invited", "coaches")


async def join_team(store: Store, uid: int, team_id: int, member: Record) -> bool:
    """Add the athlete (who consented to share) to a team; False if already a member."""
    await store.link_team(uid, team_id, member["joined_at"])
    return await store.teams.update(team_id, add_member(uid, copy.deepcopy(member)))


async def leave_team(store: Store, uid: int, team_id: int) -> bool:
    """Stop sharing with a team at once, cancel its pending prompts; False if not a member."""
    left = await store.teams.update(team_id, drop_member(uid))
    cancel = {"status": ReminderStatus.CANCELLED, "reason": LEFT_TEAM}
    await store.update_reminders(uid, (ReminderFilter(team=team_id),), cancel, create=False)
    await store.link_team(uid, team_id, None)
    return left


async def mark_refuelled(store: Store, uid: int, checkin_id: str, at: str) -> list[str]:
    """Record that the athlete ate (once) and cancel that check-in's refuel reminders."""
    where = (ReminderFilter(checkin=checkin_id, kinds=frozenset(NUTRITION_KINDS)),)
    changes = {"status": ReminderStatus.CANCELLED, "settled_at": at}
    return [r["id"] for r in await store.set_refuelled(uid, checkin_id, at, where, changes)]


async def forget(store: Store, uid: int) -> None:
    """Erase everything stored about the person: their own data, and every mention in every
    team (member, invitation, coach, alerts about or to them) with the teams' backups."""
    for team in await store.teams.all():
        if mentions(team, uid):
            await store.teams.update(int(team["id"]), scrub(uid))
    await store.teams.purge_residue(uid)
    await store.erase(uid)


async def export_all(store: Store, uid: int) -> dict[str, list[Record]]:
    """Everything stored about the person for /export: their own tables, and what every team
    that mentions them holds about them."""
    teams = [mentioned(team, uid) for team in await store.teams.all() if mentions(team, uid)]
    return await store.everything(uid) | ({"teams": teams} if teams else {})


def add_member(uid: int, member: Record) -> Callable[[TeamDoc], bool]:
    """A team update adding a member (and dropping their invitation); True if new."""

    def add(team: TeamDoc) -> bool:
        if not team:
            return False
        key = str(uid)
        team.setdefault("invited", {}).pop(key, None)
        new = key not in team["members"]
        team["members"][key] = team["members"].get(key) or member
        return new

    return add


PERSON_SECTIONS = ("members", "invited", "coaches")


def _about(item: Record, uid: int) -> bool:
    """Whether an outbox item concerns the person (an alert about them or to them)."""
    return uid in (item.get("uid"), item.get("coach"))


def mentions(team: TeamDoc, uid: int) -> bool:
    """Whether a team document mentions the person anywhere."""
    return any(str(uid) in team.get(section, {}) for section in PERSON_SECTIONS) or any(
        _about(item, uid) for item in team.get("outbox", {}).values()
    )


def mentioned(team: TeamDoc, uid: int) -> Record:
    """What a team document holds about the person: its id and title, then each mention. An
    alert addressed to them as a coach is about someone else: only that it was sent, and when."""
    found: Record = {"team_id": team["id"], "title": team.get("title")}
    for section in PERSON_SECTIONS:
        if str(uid) in team.get(section, {}):
            found[section] = team[section][str(uid)]
    alerts = [
        item if item.get("uid") == uid else {k: item.get(k) for k in ("kind", "status", "due_at")}
        for item in team.get("outbox", {}).values()
        if _about(item, uid)
    ]
    return found | ({"alerts": alerts} if alerts else {})


def scrub(uid: int) -> Callable[[TeamDoc], bool]:
    """A team update removing every mention of the person; True if there was one."""

    def apply(team: TeamDoc) -> bool:
        found = mentions(team, uid)
        for section in PERSON_SECTIONS:
            team.get(section, {}).pop(str(uid), None)
        outbox = team.get("outbox", {})
        for key in [k for k, item in outbox.items() if _about(item, uid)]:
            del outbox[key]
        return found

    return apply


def drop_member(uid: int) -> Callable[[TeamDoc], bool]:
    """A team update removing a member and any alert about them not yet sent; True if they
    were a member."""

    def drop(team: TeamDoc) -> bool:
        outbox = team.get("outbox", {})
        for key in [k for k, item in outbox.items() if item.get("uid") == uid]:
            del outbox[key]
        return team.get("members", {}).pop(str(uid), None) is not None

    return drop
