"""Coaches' private views: /roster and per-athlete check-ins, only for athletes who share,
and only while the coach is still an admin of the team's group."""

from __future__ import annotations

from datetime import datetime

from telegram import Bot, Update

from bot.athletes.parsing import zone
from bot.athletes.profiles import consented, load_profile
from bot.athletes.recording import checkin_history
from bot.shell import callbacks
from bot.shell.context import BotContext, Services
from bot.teams.messages import is_admin
from bot.teams.records import Team
from handlers.common import answer_query, keyboard
from rules.model import SESSION_LABELS, CheckIn, Kind
from rules.trends import direction, heaviness_weeks

VIEW = "cv"
LATEST = 5


async def _coached_teams(bot: Bot, svc: Services, uid: int, team_ids: list[int]) -> list[Team]:
    """The teams (among `team_ids`) the user coaches and still administers; drops lapsed ones."""
    teams: list[Team] = []
    for team_id in team_ids:
        team = await svc.teams.get(team_id)
        if not team or str(uid) not in team.coaches:
            continue
        if await is_admin(bot, team_id, uid):
            teams.append(team)
        else:
            await svc.teams.drop_coach(team_id, uid)
    return teams


async def roster(update: Update, context: BotContext) -> None:
    """Who joined each of the coach's teams, who is active, who never opened a private chat."""
    svc, uid = context.services, update.effective_user.id
    teams = await _coached_teams(context.bot, svc, uid, await svc.store.teams.coached_by(uid))
    if not teams:
        await update.effective_chat.send_message(
            "You don't coach a team I know of (or you're no longer an admin of its group). "
            "In your team's group, an admin sends /team, then /coach."
        )
        return
    for team in teams:
        text, buttons = await _roster_text(svc, team)
        await update.effective_chat.send_message(text, reply_markup=keyboard(buttons, columns=2))


async def _roster_text(svc: Services, team: Team) -> tuple[str, list[tuple[str, str]]]:
    """The roster message of one team and a view button per sharing athlete."""
    lines = [f"👥 {team.title}" + ("" if team.active else " (paused: I was removed)")]
    buttons: list[tuple[str, str]] = []
    for key, member in sorted(team.members.items(), key=lambda kv: kv[1].name or ""):
        profile = await load_profile(svc.store, int(key))
        state = "active" if profile is None or profile.active else "inactive (blocked me)"
        lines.append(f"• {member.name}: joined {member.since[:10]}, {state}")
        buttons.append((f"📈 {member.name}", f"{VIEW}|{team.id}|{key}"))
    if not team.members:
        lines.append("Nobody has joined yet: share the join button from /team.")
    invited = [str(person.name) for person in team.invited.values()]
    if invited:
        lines.append(
            "Asked to join but never opened a private chat with me (I can't message them "
            f"until they do): {', '.join(invited)}"
        )
    return "\n".join(lines), buttons


async def on_view(update: Update, context: BotContext) -> None:
    """One athlete's latest check-ins and trend, if they share and the coach is an admin."""
    query = update.callback_query
    svc, uid = context.services, update.effective_user.id
    parsed = callbacks.parse_coach_view(query.data or "")
    team_id, athlete = parsed or (0, 0)
    teams = await _coached_teams(context.bot, svc, uid, [team_id]) if parsed else []
    profile = await load_profile(svc.store, athlete) if teams else None
    if not teams or str(athlete) not in teams[0].members or not consented(profile):
        await answer_query(query, "Not available: that athlete doesn't share with you.", alert=True)
        return
    await answer_query(query)
    team, name = teams[0], teams[0].members[str(athlete)].name or "athlete"
    history = await checkin_history(svc.store, athlete)
    tz_name = team.tz
    await update.effective_chat.send_message(athlete_view(name, history, svc.clock.now(), tz_name))


def athlete_view(name: str, history: list[CheckIn], now: datetime, tz_name: str) -> str:
    """The coach's text about one athlete: latest check-ins, then a two-week trend."""
    tz = zone(tz_name)
    lines = [f"📈 {name}: latest check-ins ({tz_name})"]
    for c in sorted(history, key=lambda c: c.created_at)[-LATEST:]:
        lines.append(f"• {c.observed_at.astimezone(tz):%a %d %b %H:%M} · {_describe(c)}")
    if len(lines) == 1:
        lines.append("No check-ins yet.")
    lines.append(_trend(history, now))
    return "\n".join(lines)


def _describe(c: CheckIn) -> str:
    """One check-in in a line."""
    if c.kind is Kind.FOLLOWUP:
        parts = ["48 h follow-up"]
    else:
        parts = [SESSION_LABELS.get(c.session_type, "session") if c.session_type else "session"]
        parts += [f"{c.duration_min} min"] if c.duration_min else []
        parts += [f"RPE {c.rpe}"] if c.rpe is not None else []
    parts += [f"legs {c.leg_heaviness}/10"] if c.leg_heaviness is not None else []
    parts += [f"motivation {c.motivation}/5"] if c.motivation is not None else []
    parts += [c.signs] if c.red_signs else []
    parts += [f"slept {c.sleep_hours:g} h"] if c.sleep_hours is not None else []
    parts += ["🚩 red flag"] if c.extra.get("red_flag") else []
    return " · ".join(parts)


def _trend(history: list[CheckIn], now: datetime) -> str:
    """Average leg heaviness this week against the week before, in words."""
    recent, before = heaviness_weeks(history, now)
    if recent is None:
        return "Trend: no check-ins in the last 7 days."
    if before is None:
        return f"Trend: leg heaviness averages {recent:.1f}/10 over the last 7 days."
    arrow = {1: "↑", -1: "↓", 0: "→"}[direction(recent, before)]
    return (
        f"Trend: leg heaviness {recent:.1f}/10 over the last 7 days "
        f"{arrow} (the 7 days before: {before:.1f})."
    )
