"""Telegram's text-formatting, length and keyboard rules, as enforced by the fake server."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from bot.fakeapi.errors import ApiError

BOT_USERNAME = "HeavyLegsTestBot"
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64

HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a"}
    | {"code", "pre", "blockquote", "tg-emoji"}
)
MD2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
MD2_TOGGLES = {"||": "Spoiler", "__": "Underline", "*": "Bold", "_": "Italic", "~": "Strikethrough"}
BUTTON_ACTIONS = frozenset(
    {"url", "callback_data", "web_app", "login_url", "switch_inline_query", "pay"}
    | {"switch_inline_query_current_chat", "switch_inline_query_chosen_chat"}
    | {"callback_game", "copy_text"}
)
COMMAND_RE = re.compile(rf"^/[A-Za-z0-9_]{{1,32}}(@{BOT_USERNAME})?(?=\s|$)")
LEGACY_LINK_RE = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def utf16_len(text: str) -> int:
    """Length of text in UTF-16 code units, the unit Telegram counts in."""
    return len(text.encode("utf-16-le")) // 2


def entities_error(detail: str) -> ApiError:
    """A 400 "can't parse entities" error."""
    return ApiError.bad_request(f"can't parse entities: {detail}")


class _HtmlText(HTMLParser):
    """Collects the visible text of Telegram-flavoured HTML and validates its tags."""

    def __init__(self) -> None:
        """Start with no text and no open tags."""
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.open_tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Accept only tags Telegram supports."""
        if tag not in HTML_TAGS:
            raise entities_error(f'Unsupported start tag "{tag}"')
        self.open_tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        """Require tags to close in order."""
        if not self.open_tags or self.open_tags[-1] != tag:
            raise entities_error(f'Unexpected end tag "{tag}"')
        self.open_tags.pop()

    def handle_data(self, data: str) -> None:
        """Keep visible text."""
        self.parts.append(data)


def _html_text(text: str) -> str:
    """Visible text of an HTML-formatted message."""
    parser = _HtmlText()
    parser.feed(text)
    parser.close()
    if parser.open_tags:
        raise entities_error(
            f'Can\'t find end tag corresponding to start tag "{parser.open_tags[-1]}"'
        )
    return "".join(parser.parts)


def _md2_code(text: str, start: int, out: list[str]) -> int:
    """Copy an inline code or pre block starting at start; return the index after it."""
    fence = "```" if text.startswith("```", start) else "`"
    i = start + len(fence)
    content: list[str] = []
    while i < len(text) and not text.startswith(fence, i):
        step = 2 if text[i] == "\\" and i + 1 < len(text) else 1
        content.append(text[i + step - 1])
        i += step
    if i >= len(text):
        raise entities_error(f"Can't find end of {'Pre' if len(fence) == 3 else 'Code'} entity")
    body = "".join(content)
    if len(fence) == 3 and re.match(r"^\w*\n", body):
        body = body.split("\n", 1)[1]
    out.append(body)
    return i + len(fence)


def _md2_toggle(text: str, i: int) -> str | None:
    """The MarkdownV2 style marker at index i, if any."""
    for mark in ("||", "__"):
        if text.startswith(mark, i):
            return mark
    return text[i] if text[i] in "*_~" else None


def _md2_silent(text: str, i: int) -> bool:
    """Whether the character at i is link, custom-emoji or blockquote markup."""
    ch = text[i]
    at_line_start = i == 0 or text[i - 1] == "\n"
    return ch in "[]" or (ch == ">" and at_line_start) or (ch == "!" and text[i + 1 : i + 2] == "[")


def _markdown_v2_text(text: str) -> str:
    """Visible text of a MarkdownV2 message; unescaped reserved characters are errors."""
    out: list[str] = []
    open_marks: set[str] = set()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        elif ch == "`":
            i = _md2_code(text, i, out)
        elif mark := _md2_toggle(text, i):
            open_marks ^= {mark}
            i += len(mark)
        elif ch == "]" and text.startswith("(", i + 1):
            end = text.find(")", i + 2)
            if end < 0:
                raise entities_error("Can't find end of a URL")
            i = end + 1
        elif _md2_silent(text, i):
            i += 1
        elif ch in MD2_RESERVED:
            raise entities_error(
                f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
            )
        else:
            out.append(ch)
            i += 1
    if open_marks:
        raise entities_error(f"Can't find end of {MD2_TOGGLES[min(open_marks)]} entity")
    return "".join(out)


def _markdown_text(text: str) -> str:
    """Visible text of a legacy Markdown message."""
    return re.sub(r"[*_`]", "", LEGACY_LINK_RE.sub(r"\1", text))


def visible_text(text: str, parse_mode: str | None) -> str:
    """Apply parse_mode like Telegram: return the plain text the user will see."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return _html_text(text)
    if mode == "markdownv2":
        return _markdown_v2_text(text)
    if mode == "markdown":
        return _markdown_text(text)
    if mode:
        raise ApiError.bad_request(f"unsupported parse_mode {parse_mode}")
    return text


def command_entities(text: str) -> list[dict[str, Any]]:
    """The bot_command entity Telegram attaches to a leading /command."""
    match = COMMAND_RE.match(text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]


def _check_button(button: Any) -> None:
    """Validate one inline keyboard button."""
    if not isinstance(button, dict) or not button.get("text"):
        raise ApiError.bad_request("can't parse inline keyboard button: Text must be non-empty")
    if not BUTTON_ACTIONS & button.keys():
        raise ApiError.bad_request("text buttons are unallowed in the inline keyboard")
    if "callback_data" in button:
        size = len(str(button["callback_data"]).encode())
        if not 1 <= size <= MAX_CALLBACK_DATA:
            raise ApiError.bad_request("BUTTON_DATA_INVALID")


def check_reply_markup(markup: Any) -> dict[str, Any] | None:
    """Validate a reply_markup object and return it (None when absent)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError.bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is not None:
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise ApiError.bad_request('field "inline_keyboard" must be an Array of Arrays')
        for row in rows:
            for button in row:
                _check_button(button)
    return markup


def inline_buttons(message: dict[str, Any]) -> list[list[tuple[str, str | None]]]:
    """Rows of (label, callback_data) of a message's inline keyboard."""
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [[(b["text"], b.get("callback_data")) for b in row] for row in rows]
