"""`python -m devdata`: write the SYNTHETIC sample, or serve a directory with the local mirror.

    python -m devdata generate [DIR] [--seed N] [--first-month YYYY-MM] [--last-month YYYY-MM]
                               [--archive-months LIST] [--empty-months LIST]
    python -m devdata serve DIR [--host ADDR] [--port N] [--public-url URL] [--sample] [-v] [-- COMMAND ...]

`generate` writes the whole sample (police.uk, census, boundaries, PAS) into
DIR, by default `$MAPWH_HOME/sample`. `serve` serves DIR (a sample, or a
directory laid out like `../shared/data`) on 127.0.0.1 (`--host 0.0.0.0`
in a container, with `--public-url http://mirror:8000`: the address the
other containers reach it at, used in every URL it prints and serves
instead of the bind address); `--sample` first
generates the sample there unless DIR already holds one. With a COMMAND after
`--`, it runs the command with the variables that point every source found
in DIR at the mirror added to its environment, then stops the server and
exits with the command's exit code. Without one, it prints the base URL and
`export NAME=value` lines for those variables, and serves until Ctrl-C or
SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Sequence

from devdata import mirror, sample
from ingest.core.config import get_settings

log = logging.getLogger("devdata")

SERVE_USAGE = "python -m devdata serve DIR [--host ADDR] [--port N] [--public-url URL] [--sample] [-v] [-- COMMAND ...]"


def _months(value: str) -> tuple[str, ...]:
    return tuple(m.strip() for m in value.split(",") if m.strip())


def cmd_generate(args: argparse.Namespace) -> int:
    out = args.dir or get_settings().home / "sample"
    summary = sample.generate(out, seed=args.seed, first_month=args.first_month, last_month=args.last_month,
                              archive_months=_months(args.archive_months),
                              empty_months=None if args.empty_months is None else _months(args.empty_months))
    print(json.dumps({k: summary[k] for k in ("out_dir", "seed", "records", "empty_months", "archive_records")},
                     indent=2))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    root: Path = args.dir
    if args.sample and not sample.has_sample(root):
        log.info("generating the SYNTHETIC sample in %s ...", root)
        sample.generate(root)
    if not root.is_dir():
        print(f"devdata serve: {root} is not a directory (--sample generates a sample there)", file=sys.stderr)
        return 2
    try:
        server = mirror.serve(root, host=args.host, port=args.port, public_url=args.public_url)
    except ValueError as exc:
        print(f"devdata serve: {exc}", file=sys.stderr)
        return 2
    with server:
        environment = mirror.source_environment(server)
        if args.command:
            return run_command(args.command, environment)
        print(server.base_url)
        for name, value in environment.items():
            print(f"export {name}={shlex.quote(value)}")
        sys.stdout.flush()
        _wait_for_stop()
    return 0


def _wait_for_stop() -> None:
    """Block until SIGINT (Ctrl-C) or SIGTERM."""
    stop = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        stop.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _terminal_reaches_child() -> bool:
    """True when we run in the terminal's foreground process group: Ctrl-C there
    signals the whole group, the child (which shares our group) included."""
    for fd in (0, 1, 2):
        try:
            return os.tcgetpgrp(fd) == os.getpgrp()
        except OSError:
            continue
    return False


def run_command(command: Sequence[str], environment: dict[str, str]) -> int:
    """Run command with environment added to os.environ; its exit code (128 + N when killed by signal N).

    SIGTERM and SIGINT are forwarded to the command, which is then waited
    for, except SIGINT while we run in the foreground of a terminal: Ctrl-C
    there already reaches the command (it shares our process group), and a
    second one would interrupt its clean-up.
    """
    child: subprocess.Popen | None = None
    pending: list[int] = []

    def forward(signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGINT and _terminal_reaches_child():
            return
        if child is None:
            pending.append(signum)  # arrived while it was being started
        else:
            child.send_signal(signum)  # a no-op once it has been waited for

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            child = subprocess.Popen(list(command), env={**os.environ, **environment})  # noqa: S603 - the user's own command, no shell
        except OSError as exc:
            print(f"devdata serve: cannot run {command[0]!r}: {exc}", file=sys.stderr)
            return 127 if isinstance(exc, FileNotFoundError) else 126
        for signum in pending:
            child.send_signal(signum)
        code = child.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return 128 - code if code < 0 else code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m devdata", description="Write the SYNTHETIC sample, or serve a directory with the local mirror.",
        epilog="Run it from the project root: devdata is not installed.",
    )
    sub = parser.add_subparsers(dest="action", required=True)

    generate = sub.add_parser("generate", help="write the SYNTHETIC sample of every source")
    generate.add_argument("dir", nargs="?", type=Path, help="default: $MAPWH_HOME/sample")
    generate.add_argument("--seed", type=int, default=2020)
    generate.add_argument("--first-month", default="2023-07", help="first API month (YYYY-MM)")
    generate.add_argument("--last-month", default="2025-06", help="last API month (YYYY-MM)")
    generate.add_argument("--archive-months", default="2016-06", help="comma-separated YYYY-MM, or empty")
    generate.add_argument("--empty-months", default=None,
                          help="comma-separated YYYY-MM whose API file is [] (default: the last month; '' for none)")
    generate.set_defaults(func=cmd_generate)

    serve = sub.add_parser("serve", usage=SERVE_USAGE, help="serve a directory (and run a command)",
                           description="Serve DIR with the mirror; with `-- COMMAND ...`, run the command "
                                       "against it and exit with its code.")
    serve.add_argument("dir", type=Path, help="a sample, or a directory laid out like ../shared/data")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; 0.0.0.0 in a container)")
    serve.add_argument("--port", type=int, default=0, help="0 = any free port (default)")
    serve.add_argument("--public-url", default=None,
                       help="the URL other hosts reach the mirror at (e.g. http://mirror:8000): used in the URLs it "
                            "prints and serves instead of the bind address")
    serve.add_argument("--sample", action="store_true", help="generate the sample in DIR first unless it has one")
    serve.add_argument("-v", "--verbose", action="store_true", help="log every request the mirror answers")
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Everything after the first `--` is the command: none of it is parsed as our options.
    split = argv.index("--") if "--" in argv else len(argv)
    parser = build_parser()
    args = parser.parse_args(argv[:split])
    args.command = argv[split + 1:]
    if split < len(argv) and (args.action != "serve" or not args.command):
        parser.error("`-- COMMAND ...` belongs to serve and needs a command")
    logging.basicConfig(level=logging.DEBUG if getattr(args, "verbose", False) else logging.INFO, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
