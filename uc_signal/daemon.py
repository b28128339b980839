"""ucd, the ucserver daemon: one process, one asyncio loop (uvloop when installed).

    ucd [--config FILE]

Reads the TOML configuration (docs/configuration.md; without --config or $UCD_CONFIG,
the embedded defaults), starts the store, the SIP transports with the proxy core, and the
admin API (uc_signal/ucd/server.py), prints how to sign in, and serves until SIGTERM or
SIGINT, then shuts down gracefully and exits 0. A bad configuration, or a port it cannot
bind, exits 2 or 1 with one line on stderr naming the cause.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys

import uc_media
import uc_signal

from .config import EMBEDDED, ConfigError, load_config
from .gc_tuning import tune_for_server
from .ucd.logs import configure_logging
from .ucd.server import Daemon, StartupError

log = logging.getLogger("ucd")


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's loop when it is installed (libuv: less CPU per packet), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


async def serve(daemon: Daemon, stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    log.info("ucd %s starting (pid %d, event loop %s.%s)", uc_signal.__version__, os.getpid(),
             type(loop).__module__.split(".")[0], type(loop).__name__)
    log.info("media engine %s, linked with %s", uc_media.__version__,
             ", ".join(f"{name} {version}" for name, version in uc_media.library_versions().items()))
    await daemon.start()
    tune_for_server()
    try:
        print(daemon.banner(), flush=True)
        await stop.wait()
        log.info("stopping")
    finally:
        await daemon.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ucd", description="ucserver daemon")
    parser.add_argument("--config", metavar="FILE", default=os.environ.get("UCD_CONFIG"),
                        help="TOML configuration (default: $UCD_CONFIG, else the embedded defaults)")
    parser.add_argument("--version", action="store_true", help="print the version and the linked libraries, then exit")
    parser.add_argument("--check-config", action="store_true", help="validate the configuration, then exit")
    args = parser.parse_args(argv)
    if args.version:
        print(f"ucd {uc_signal.__version__}")
        for name, version in uc_media.library_versions().items():
            print(f"  {name}: {version}")
        return 0
    try:
        config = load_config(args.config)
    except ConfigError as error:
        print(f"ucd: {error}", file=sys.stderr)
        return 2
    if args.check_config:
        print(f"ucd: {args.config or EMBEDDED}: ok")
        return 0

    configure_logging(config.log.format, config.log.level)
    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    daemon = Daemon(config)
    try:
        loop.run_until_complete(serve(daemon, stop))
    except StartupError as error:
        print(f"ucd: {error}", file=sys.stderr)
        return 1
    finally:
        loop.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
