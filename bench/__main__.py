"""`python -m bench [--quick] [--only NAME ...]`: run the measures and print one table."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from bench import broadcast, e2e, history, memory, reminders, startup, storage, workers
from bench.config import FULL, QUICK, Sizes
from bench.table import Row, render

MEASURES: dict[str, Callable[[Sizes], list[Row]]] = {
    "e2e": e2e.measure,
    "storage": storage.measure,
    "reminders": reminders.measure,
    "broadcast": broadcast.measure,
    "memory": memory.measure,
    "history": history.measure,
    "startup": startup.measure,
    "workers": workers.measure,
}


def main(argv: list[str] | None = None) -> int:
    """Run the chosen measures (all by default) and print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: runs in seconds")
    parser.add_argument("--only", nargs="+", choices=list(MEASURES), default=list(MEASURES))
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    rows: list[Row] = []
    start = time.perf_counter()
    for name in args.only:
        print(f"running {name}…", file=sys.stderr, flush=True)
        rows.extend(MEASURES[name](sizes))
    print(render(rows))
    print(f"\n{len(rows)} figures in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
