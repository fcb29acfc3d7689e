"""Bot API methods that send documents and photos (uploads, file_ids, URLs) and serve files."""

from __future__ import annotations

from typing import Any

from bot.fakeapi.errors import ApiError
from bot.fakeapi.markup import MAX_CAPTION
from bot.fakeapi.messages import markup_fields, reply_fields
from bot.fakeapi.registry import Params, checked_text, method, required, target_chat
from bot.fakeapi.state import BotEvent, StoredFile, Upload, World

UPLOAD_FIELDS = {"document": "application/octet-stream", "photo": "image/jpeg"}


def _resolve_file(world: World, value: Any, field: str) -> StoredFile:
    """Store an uploaded file, or look up a file_id / URL given as a string."""
    if isinstance(value, Upload):
        return world.store_file(value.filename, value.data, value.mime_type)
    if isinstance(value, str) and value in world.files:
        return world.files[value]
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return world.store_file(value.rsplit("/", 1)[-1] or field, b"", UPLOAD_FIELDS[field])
    raise ApiError.bad_request(f"there is no {field} in the request")


def _file_fields(stored: StoredFile, field: str) -> dict[str, Any]:
    """The Document or PhotoSize list describing a stored file."""
    ids = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
    if field == "photo":
        return {"photo": [{**ids, "width": 1280, "height": 720, "file_size": len(stored.data)}]}
    return {
        "document": {
            **ids,
            "file_name": stored.filename,
            "mime_type": stored.mime_type,
            "file_size": len(stored.data),
        }
    }


async def _send_file(world: World, p: Params, field: str) -> dict[str, Any]:
    """Send a document or photo with an optional caption."""
    chat = target_chat(world, p)
    stored = _resolve_file(world, required(p, field), field)
    caption = checked_text(p, "caption", MAX_CAPTION, "message caption is too long")
    fields = {
        **_file_fields(stored, field),
        **({"caption": caption} if caption else {}),
        **markup_fields(chat, p),
        **reply_fields(chat, p),
    }
    message = world.add_bot_message(chat.info["id"], fields)
    world.record(BotEvent.from_message(field, message, stored))
    return message


@method("sendDocument")
async def send_document(world: World, p: Params) -> Any:
    """Send a document."""
    return await _send_file(world, p, "document")


@method("sendPhoto")
async def send_photo(world: World, p: Params) -> Any:
    """Send a photo."""
    return await _send_file(world, p, "photo")


@method("getFile")
async def get_file(world: World, p: Params) -> Any:
    """Describe a stored file with a file_path usable under base_file_url."""
    stored = world.files.get(str(required(p, "file_id")))
    if stored is None:
        raise ApiError.bad_request("invalid file_id")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
        "file_path": f"{stored.file_id}/{stored.filename}",
    }
