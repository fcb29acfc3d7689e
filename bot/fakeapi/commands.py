"""Bot API methods for what users press and type: callback query answers and command menus."""

from __future__ import annotations

import json
from typing import Any

from bot.fakeapi.errors import ApiError
from bot.fakeapi.registry import Params, method
from bot.fakeapi.state import BotEvent, World

TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


@method("answerCallbackQuery")
async def answer_callback_query(world: World, p: Params) -> Any:
    """Answer a callback query once; unknown or repeated ids are rejected."""
    query_id = str(p.get("callback_query_id") or "")
    chat_id = world.open_callbacks.pop(query_id, None)
    if chat_id is None:
        raise ApiError.bad_request(TOO_OLD)
    world.record(BotEvent("callback_answer", chat_id, None, p.get("text"), [], dict(p)))
    return True


def _commands_key(p: Params) -> str:
    """Storage key for a (scope, language_code) pair of the command list."""
    scope = p.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True) + "|" + str(p.get("language_code") or "")


@method("setMyCommands")
async def set_my_commands(world: World, p: Params) -> Any:
    """Store the command list for a scope and language."""
    commands = p.get("commands")
    if not isinstance(commands, list):
        raise ApiError.bad_request("can't parse commands JSON object")
    for command in commands:
        name = str(command.get("command", "")) if isinstance(command, dict) else ""
        if not (1 <= len(name) <= 32 and name.replace("_", "").isalnum() and name.islower()):
            raise ApiError.bad_request("BOT_COMMAND_INVALID")
    world.commands[_commands_key(p)] = commands
    return True


@method("getMyCommands")
async def get_my_commands(world: World, p: Params) -> Any:
    """Return the command list for a scope and language."""
    return world.commands.get(_commands_key(p), [])


@method("deleteMyCommands")
async def delete_my_commands(world: World, p: Params) -> Any:
    """Delete the command list for a scope and language."""
    world.commands.pop(_commands_key(p), None)
    return True
