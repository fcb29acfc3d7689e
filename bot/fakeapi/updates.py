"""Bot API methods for the bot's identity and how it receives updates: polling or a webhook."""

from __future__ import annotations

import re
from typing import Any

from bot.fakeapi.errors import ApiError
from bot.fakeapi.registry import Params, flag, integer, method
from bot.fakeapi.state import World

SECRET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@method("getMe")
async def get_me(world: World, p: Params) -> Any:
    """Return the bot user."""
    return world.bot_user


@method("getUpdates")
async def get_updates(world: World, p: Params) -> Any:
    """Long-poll for updates, confirming those before offset."""
    if world.webhook_url:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    limit = min(max(integer(p, "limit", 100), 1), 100)
    allowed = p.get("allowed_updates")
    return await world.get_updates(
        integer(p, "offset", 0), limit, float(p.get("timeout") or 0), allowed
    )


@method("setWebhook")
async def set_webhook(world: World, p: Params) -> Any:
    """Set the webhook pending updates are POSTed to (an empty url removes it)."""
    url = str(p.get("url") or "")
    if url and not url.startswith(("http://", "https://")):
        raise ApiError.bad_request("bad webhook: an HTTP(S) URL must be provided for webhook")
    secret = str(p.get("secret_token") or "") or None
    if secret is not None and not SECRET_TOKEN_RE.match(secret):
        raise ApiError.bad_request("secret token contains unallowed characters")
    max_connections = min(max(integer(p, "max_connections", 40), 1), 100)
    if p.get("allowed_updates") is not None:
        world.allowed_updates = p["allowed_updates"] or None
    if flag(p, "drop_pending_updates"):
        world.drop_pending_updates()
    world.set_webhook(url, secret, max_connections)
    return True


@method("deleteWebhook")
async def delete_webhook(world: World, p: Params) -> Any:
    """Remove the webhook (updates are then served by getUpdates), optionally dropping updates."""
    if flag(p, "drop_pending_updates"):
        world.drop_pending_updates()
    world.set_webhook("", None, 40)
    return True


@method("getWebhookInfo")
async def get_webhook_info(world: World, p: Params) -> Any:
    """Return WebhookInfo: URL, pending updates, connections and the last delivery error."""
    hook = world.webhook
    info: dict[str, Any] = {
        "url": hook.url,
        "has_custom_certificate": False,
        "pending_update_count": world.pending_update_count,
    }
    if hook.url:
        info["max_connections"] = hook.max_connections
    if world.allowed_updates:
        info["allowed_updates"] = world.allowed_updates
    if hook.last_error_date is not None:
        info["last_error_date"] = hook.last_error_date
        info["last_error_message"] = hook.last_error_message
    return info
