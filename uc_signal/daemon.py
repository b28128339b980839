"""ucd, the ucserver daemon.

For now it starts, reports its version and the media engine's capabilities, and waits
for SIGTERM or SIGINT to stop cleanly; the SIP services join it as they land (see
docs/architecture.md).
"""

import argparse
import asyncio
import logging
import os
import signal

import uc_media
import uc_signal

log = logging.getLogger("ucd")


async def serve(stop: asyncio.Event) -> None:
    log.info("ucd %s starting (pid %d)", uc_signal.__version__, os.getpid())
    log.info("media engine %s, linked with %s", uc_media.__version__,
             ", ".join(f"{name} {version}" for name, version in uc_media.library_versions().items()))
    log.info("ready; stop with SIGTERM or Ctrl-C")
    await stop.wait()
    log.info("stopping")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ucd", description="ucserver daemon")
    parser.add_argument("--version", action="store_true", help="print the version and the linked libraries, then exit")
    args = parser.parse_args(argv)
    if args.version:
        print(f"ucd {uc_signal.__version__}")
        for name, version in uc_media.library_versions().items():
            print(f"  {name}: {version}")
        return 0

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        loop.run_until_complete(serve(stop))
    finally:
        loop.close()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
