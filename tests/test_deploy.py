"""Static checks that keep deploy/ in step with the code: variables, exit codes, ports, paths."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.shell.config import Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNIT = (DEPLOY / "systemd" / "heavy-legs@.service").read_text()
TARGET = (DEPLOY / "systemd" / "heavy-legs.target").read_text()
NGINX = re.sub(r"#.*", "", (DEPLOY / "nginx" / "heavy-legs.conf").read_text())  # no comments
COMPOSE = (DEPLOY / "compose.yaml").read_text()
DOCKERFILE = (DEPLOY / "Dockerfile").read_text()
FIELDS = {f"BOT_{name.upper()}" for name in Settings.model_fields}


def env_file(path: Path) -> dict[str, str]:
    """KEY=value lines of an env file (systemd EnvironmentFile / compose env_file syntax)."""
    lines = path.read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


ENV = env_file(DEPLOY / "env.example")
# What a filled-in env file would hold instead of the <...> placeholders.
FILLED = {
    "BOT_TOKEN": "123456:" + "A" * 35,
    "BOT_WEBHOOK_SECRET": "s" * 64,
    "BOT_DATABASE_URL": ENV["BOT_DATABASE_URL"].replace("<password>", "pw"),
}


def unit_environment() -> dict[str, str]:
    """The Environment=KEY=value settings of the worker unit."""
    return dict(re.findall(r"^Environment=(\w+)=(.*)$", UNIT, re.MULTILINE))


def main_exit_codes() -> set[int]:
    """The non-zero codes bot.__main__.main returns from its except clauses."""
    tree = ast.parse((ROOT / "bot" / "__main__.py").read_text())
    main = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main")
    return {
        node.value.value
        for handler in ast.walk(main)
        if isinstance(handler, ast.ExceptHandler)
        for node in ast.walk(handler)
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Constant)
        if node.value.value != 0
    }


def test_every_bot_variable_is_a_setting() -> None:
    """A misspelt BOT_* name would be ignored silently (extra='ignore'): none may be."""
    compose_names = set(re.findall(r"^\s+(BOT_\w+):", COMPOSE, re.MULTILINE))
    used = {name for name in [*ENV, *unit_environment(), *compose_names] if name.startswith("BOT_")}
    assert used - FIELDS == set()
    assert {"BOT_TOKEN", "BOT_WEBHOOK_URL", "BOT_WEBHOOK_SECRET", "BOT_DATABASE_URL"} <= set(ENV)


def test_env_file_leaves_per_worker_settings_to_the_unit() -> None:
    """EnvironmentFile= overrides Environment=, so the env file must not set the unit's values."""
    per_worker = {name for name in unit_environment() if name.startswith("BOT_")}
    assert per_worker == {"BOT_WEBHOOK_PORT", "BOT_WORKER_ID"}
    assert per_worker.isdisjoint(ENV)
    assert unit_environment()["BOT_WEBHOOK_PORT"] == "%i"


def test_env_example_is_valid_once_filled_in() -> None:
    """Filled in, env.example passes the settings' checks; unfilled, the bot refuses it."""
    placeholders = {name for name, value in ENV.items() if "<" in value}
    assert placeholders == {"BOT_TOKEN", "BOT_WEBHOOK_SECRET", "BOT_DATABASE_URL"}
    values = {name.removeprefix("BOT_").lower(): value for name, value in (ENV | FILLED).items()}
    settings = Settings(_env_file=None, webhook_port="8081", **values)  # type: ignore[call-arg]
    assert settings.webhook_url == ENV["BOT_WEBHOOK_URL"]
    assert settings.database_url is not None
    for name in ("BOT_TOKEN", "BOT_WEBHOOK_SECRET"):
        unfilled = values | {name.removeprefix("BOT_").lower(): ENV[name]}
        with pytest.raises(ValueError, match=name.removeprefix("BOT_").lower()):
            Settings(_env_file=None, **unfilled)  # type: ignore[call-arg]


def test_restart_prevented_exactly_for_the_start_up_exit_codes() -> None:
    """Exit codes for settings/data/database problems are not restarted; others are."""
    found = re.search(r"^RestartPreventExitStatus=(.*)$", UNIT, re.MULTILINE)
    assert found is not None
    # 6: import-tinydb's count mismatch; 7: Telegram unreachable at start-up (a restart may fix it)
    start_up = main_exit_codes() - {6, 7}
    assert {int(code) for code in found.group(1).split()} == start_up == {2, 3, 4, 5}
    assert re.search(r"^Restart=on-failure$", UNIT, re.MULTILINE)


def test_worker_ports_agree_everywhere() -> None:
    """systemd target, nginx upstream and compose publish the same worker ports."""
    target = set(re.findall(r"heavy-legs@(\d+)\.service", TARGET))
    upstream = set(re.findall(r"^\s*server 127\.0\.0\.1:(\d+)", NGINX, re.MULTILINE))
    compose = set(re.findall(r'BOT_WEBHOOK_PORT: "(\d+)"', COMPOSE))
    published = re.findall(r'"127\.0\.0\.1:(\d+):(\d+)"', COMPOSE)
    assert target == upstream == compose == {host for host, _ in published}
    assert all(host == inner for host, inner in published)
    assert len(target) >= 2


def test_send_rate_shares_telegrams_cap_between_workers() -> None:
    """All workers together stay within the one-process default (Telegram's cap is per bot)."""
    workers = len(re.findall(r"heavy-legs@(\d+)\.service", TARGET))
    assert float(ENV["BOT_SEND_RATE"]) * workers <= Settings.model_fields["send_rate"].default


def test_nginx_serves_only_the_webhook_path_to_telegram() -> None:
    """The location is BOT_WEBHOOK_URL's path, Telegram-only, and passes the secret header."""
    path = urlsplit(ENV["BOT_WEBHOOK_URL"]).path
    location = re.search(r"location = (\S+) \{(.*?)\n    \}", NGINX, re.DOTALL)
    assert location is not None
    assert location.group(1) == path
    body = location.group(2)
    assert re.findall(r"allow (\S+);", body) == ["149.154.160.0/20", "91.108.4.0/22"]
    assert "deny all;" in body
    assert "X-Telegram-Bot-Api-Secret-Token $http_x_telegram_bot_api_secret_token" in body
    assert "proxy_next_upstream error timeout;" in body
    assert re.search(r"location / \{\s*return 404;", NGINX)
    assert re.search(r"listen (443|80|88|8443) ssl;", NGINX)


def test_image_copies_every_installed_package() -> None:
    """The Dockerfile copies each package pyproject.toml installs (pip install . needs them)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = set(re.findall(r"^COPY (\w+) \./\1$", DOCKERFILE, re.MULTILINE))
    assert copied == packages
    assert f"COPY pyproject.toml {project['project']['readme']} ./" in DOCKERFILE
    assert re.search(r"^USER (?!root)\w+", DOCKERFILE, re.MULTILINE)
