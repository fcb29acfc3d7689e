"""Ports for servers that cannot be asked to bind port 0 and say which port they got (PostgreSQL,
the bot's webhook listener)."""

from __future__ import annotations

import random
import socket
from pathlib import Path

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST = 10_000
ATTEMPTS = 100


def _ephemeral_start() -> int:
    """The first port the kernel gives port-0 servers and outgoing connections (or 32768)."""
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now and below the kernel's ephemeral range.

    A free port picked inside that range can be taken, before its server binds it, by any
    outgoing connection or port-0 server on the machine; below it, only by a server that asks for
    that very port, and the pick is random so that concurrent runs do not ask for the same one.
    """
    top = max(_ephemeral_start(), LOWEST + 1000)
    for _ in range(ATTEMPTS):
        port = random.randrange(LOWEST, top)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise OSError(f"no free port on 127.0.0.1 in {LOWEST}-{top - 1} after {ATTEMPTS} tries")
