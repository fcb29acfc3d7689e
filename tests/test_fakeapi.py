"""End-to-end checks of the fake Telegram Bot API server with real python-telegram-bot clients."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.fakeapi import BOT_USERNAME, FakeBotAPI
from tests.conftest import eventually

TOKEN = "123456:test-token"
KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Go on", callback_data="go")]])


@pytest.fixture
async def server() -> AsyncIterator[FakeBotAPI]:
    """A running fake server that checks the token."""
    async with FakeBotAPI(TOKEN) as fake:
        yield fake


@pytest.fixture
async def bot(server: FakeBotAPI) -> AsyncIterator[telegram.Bot]:
    """A real PTB Bot pointed at the fake server."""
    async with telegram.Bot(
        TOKEN, base_url=server.base_url, base_file_url=server.base_file_url
    ) as client:
        yield client


async def test_get_me(bot: telegram.Bot) -> None:
    """getMe describes the test bot."""
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot, me.can_join_groups) == (
        123456,
        BOT_USERNAME,
        True,
        True,
    )


async def test_send_message_with_keyboard(server: FakeBotAPI, bot: telegram.Bot) -> None:
    """A sent message reaches the user's view with its buttons and per-chat ids."""
    user = server.user(42)
    first = await bot.send_message(42, "<b>Hello</b> there", parse_mode="HTML")
    second = await bot.send_message(42, "Pick one", reply_markup=KEYBOARD)
    assert (first.message_id, second.message_id) == (1, 2)
    assert first.text == "Hello there"
    assert first.from_user is not None
    assert first.from_user.username == BOT_USERNAME
    event = await user.expect("pick")
    assert event.kind == "message"
    assert event.buttons == [[("Go on", "go")]]
    assert user.buttons() == [("Go on", "go")]
    assert server.calls_of("sendMessage")[1]["chat_id"] == 42


async def test_edit_message_text(server: FakeBotAPI, bot: telegram.Bot) -> None:
    """Edits are recorded; no-op and unknown edits fail like Telegram."""
    user = server.user(42)
    sent = await bot.send_message(42, "Pick one", reply_markup=KEYBOARD)
    await bot.edit_message_text("Done", chat_id=42, message_id=sent.message_id)
    event = await user.expect(kind="edit")
    assert (event.text, event.buttons) == ("Done", [])
    assert user.last_message is not None
    assert user.last_message["text"] == "Done"
    with pytest.raises(telegram.error.BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text("Done", chat_id=42, message_id=sent.message_id)
    with pytest.raises(telegram.error.BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=42, message_id=99)


async def test_answer_callback_query_once(server: FakeBotAPI, bot: telegram.Bot) -> None:
    """A pressed button yields a callback query that can be answered exactly once."""
    user = server.user(42)
    await bot.send_message(42, "Pick one", reply_markup=KEYBOARD)
    update = await user.press("Go")
    query_id = update["callback_query"]["id"]
    assert await bot.answer_callback_query(query_id, text="Noted", show_alert=True)
    answer = await user.expect(kind="callback_answer")
    assert answer.text == "Noted"
    assert answer.raw["show_alert"] is True
    with pytest.raises(telegram.error.BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)


async def test_press_unknown_button_lists_buttons(server: FakeBotAPI, bot: telegram.Bot) -> None:
    """Pressing a missing button fails with the available buttons in the message."""
    user = server.user(42)
    await bot.send_message(42, "Pick one", reply_markup=KEYBOARD)
    with pytest.raises(AssertionError, match="Go on"):
        await user.press("Nope")


async def test_send_document_keeps_upload(server: FakeBotAPI, bot: telegram.Bot) -> None:
    """An uploaded document keeps its name, bytes and caption and can be downloaded."""
    user = server.user(42)
    sent = await bot.send_document(42, b"a,b\n1,2\n", filename="log.csv", caption="Your log")
    event = await user.expect("your log", kind="document")
    assert (event.filename, event.data) == ("log.csv", b"a,b\n1,2\n")
    assert sent.document is not None
    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"a,b\n1,2\n"


async def test_validation_errors(server: FakeBotAPI, bot: telegram.Bot) -> None:
    """Too-long text, oversized callback data and bad MarkdownV2 are rejected."""
    server.user(42)
    with pytest.raises(telegram.error.BadRequest, match=r"(?i)too long"):
        await bot.send_message(42, "x" * 4097)
    too_big = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="d" * 65)]])
    with pytest.raises(telegram.error.BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(42, "hi", reply_markup=too_big)
    with pytest.raises(telegram.error.BadRequest, match=r"(?i)reserved"):
        await bot.send_message(42, "1.5 km", parse_mode="MarkdownV2")
    with pytest.raises(telegram.error.BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(777, "hi")


async def test_bad_token_is_unauthorized(server: FakeBotAPI) -> None:
    """A wrong token gets 401, which PTB reports as InvalidToken."""
    stranger = telegram.Bot("999:wrong", base_url=server.base_url)
    with pytest.raises(telegram.error.InvalidToken):
        await stranger.initialize()
    await stranger.shutdown()
    assert server.calls[-1][0] == "getMe"


async def test_unknown_method_and_case_insensitive_names(server: FakeBotAPI) -> None:
    """Unknown methods are 404 Not Found; method names ignore case."""
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.base_url}{TOKEN}/noSuchMethod") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
        async with http.get(f"{server.base_url}{TOKEN}/GETME") as response:
            assert (await response.json())["result"]["username"] == BOT_USERNAME
        server.user(42)
        body = {"chat_id": 42, "text": "json body"}
        async with http.post(f"{server.base_url}{TOKEN}/sendmessage", json=body) as response:
            assert (await response.json())["result"]["text"] == "json body"


async def test_injected_429_raises_retry_after(server: FakeBotAPI, bot: telegram.Bot) -> None:
    """fail_next makes the next call fail with RetryAfter; the one after succeeds."""
    server.user(42)
    server.fail_next("sendMessage", 429, retry_after=3)
    with pytest.raises(telegram.error.RetryAfter) as caught:
        await bot.send_message(42, "hi")
    assert caught.value.retry_after == timedelta(seconds=3)
    assert (await bot.send_message(42, "hi")).text == "hi"


async def test_blocked_user_is_forbidden(server: FakeBotAPI, bot: telegram.Bot) -> None:
    """Sending to a user who blocked the bot raises Forbidden."""
    server.user(42)
    server.blocked_users.add(42)
    with pytest.raises(telegram.error.Forbidden, match=r"(?i)blocked by the user"):
        await bot.send_message(42, "hi")


async def test_unconfirmed_update_is_redelivered(server: FakeBotAPI, bot: telegram.Bot) -> None:
    """Updates come back until an offset past them confirms them."""
    user = server.user(42)
    sent = await user.send("/start")
    first = await bot.get_updates(offset=0)
    again = await bot.get_updates(offset=0)
    assert [u.update_id for u in first] == [u.update_id for u in again] == [sent["update_id"]]
    assert first[0].message is not None
    assert first[0].message.text == "/start"
    assert await bot.get_updates(offset=sent["update_id"] + 1) == ()
    assert await bot.get_updates(offset=0) == ()


async def test_injected_duplicate_is_delivered_again(server: FakeBotAPI, bot: telegram.Bot) -> None:
    """inject_update keeps the given update_id, even of an already confirmed update."""
    user = server.user(42)
    sent = await user.send("hi")
    await bot.get_updates(offset=sent["update_id"] + 1)
    server.inject_update(sent)
    again = await bot.get_updates(offset=sent["update_id"] + 1)
    assert [u.update_id for u in again] == [sent["update_id"]]


async def test_other_user_update_kinds(server: FakeBotAPI, bot: telegram.Bot) -> None:
    """Edits, stickers, photos and locations arrive as PTB-parsable updates."""
    user = server.user(42)
    sent = await user.send("helo")
    await user.edit(sent["message"]["message_id"], "hello")
    await user.send_sticker()
    await user.send_photo(caption="legs")
    await user.send_location()
    updates = await bot.get_updates()
    edited, sticker, photo, location = (u.effective_message for u in updates[1:])
    assert edited is not None
    assert edited.text == "hello"
    assert sticker is not None
    assert sticker.sticker is not None
    assert photo is not None
    assert photo.caption == "legs"
    assert location is not None
    assert location.location is not None
    file = await photo.photo[-1].get_file()
    assert (await file.download_as_bytearray()).startswith(b"\x89PNG")


async def test_long_poll_wakes_on_new_update(server: FakeBotAPI, bot: telegram.Bot) -> None:
    """A long-poll returns as soon as a user writes, not at its timeout."""
    user = server.user(42)
    poll = asyncio.create_task(bot.get_updates(timeout=5))

    async def polling() -> bool:
        return bool(server.calls_of("getUpdates"))  # recorded as the server starts to wait

    await eventually(polling)
    await user.send("hello")
    updates = await asyncio.wait_for(poll, 1)
    assert updates[0].message is not None
    assert updates[0].message.text == "hello"


async def test_group_member_status(server: FakeBotAPI, bot: telegram.Bot) -> None:
    """Group messages carry the sender; member status is configurable."""
    ana = server.user(42)
    group = server.group(-100500, "Runners")
    server.set_chat_member(-100500, 42, "administrator")
    update = await group.send(ana, f"/stats@{BOT_USERNAME} now")
    assert update["message"]["entities"][0]["length"] == len(f"/stats@{BOT_USERNAME}")
    member = await bot.get_chat_member(-100500, 42)
    assert member.status == "administrator"
    assert (await bot.get_chat_member(-100500, 7)).status == "member"


async def test_expect_timeout_lists_output(server: FakeBotAPI, bot: telegram.Bot) -> None:
    """A failed expect names what the bot did send."""
    user = server.user(42)
    await bot.send_message(42, "Something else")
    with pytest.raises(AssertionError, match="Something else"):
        await user.expect("missing", timeout=0.2)


async def test_expect_only_fails_on_a_duplicate(server: FakeBotAPI, bot: telegram.Bot) -> None:
    """expect_only passes on exactly the expected messages and fails on a repeated one, whether
    it came before the check or arrives during the quiet time."""
    user = server.user(42)
    await bot.send_message(42, "One")
    await bot.send_message(42, "Two")
    await bot.edit_message_text("Two, edited", chat_id=42, message_id=2)  # not a message
    assert [e.text for e in await server.expect_only(user, "one", "two")] == ["One", "Two"]
    await bot.send_message(42, "Three")
    await bot.send_message(42, "Three")
    with pytest.raises(AssertionError, match=r"unexpected \[message #4\] 'Three'"):
        await server.expect_only(user, "three")
    late = asyncio.create_task(server.expect_only(user, "four", quiet=5))
    await bot.send_message(42, "Four")
    await bot.send_message(42, "Four")
    with pytest.raises(AssertionError, match="unexpected"):
        await asyncio.wait_for(late, 2)  # fails as the duplicate arrives, not after 5 s


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet with a button."""
    assert update.effective_message is not None
    await update.effective_message.reply_text("Hello from the bot", reply_markup=KEYBOARD)


async def _go(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Acknowledge the button and edit the message."""
    query = update.callback_query
    assert query is not None
    await query.answer("On it")
    await query.edit_message_text(f"You chose {query.data}")


async def test_application_polling_round_trip(server: FakeBotAPI) -> None:
    """A real Application receives /start and a button press through polling."""
    app = Application.builder().token(TOKEN).base_url(server.base_url).build()
    app.add_handler(CommandHandler("start", _start))
    app.add_handler(CallbackQueryHandler(_go))
    user = server.user(42)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        await user.send("/start")
        await user.expect("hello from the bot", kind="message")
        await user.press("Go on")
        assert (await user.expect(kind="callback_answer")).text == "On it"
        assert (await user.expect(kind="edit")).text == "You chose go"
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
