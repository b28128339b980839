"""Run the registrar and proxy (SipServer) alone for load tests: in-memory users from a
CSV (username,password), in-memory bindings, UDP on one port. Prints one line
`ready <host> <port>` when listening; stops on SIGTERM or SIGINT.

    python benchmarks/loadgen/run_sip_server.py --port 5070 --domain example.com --users users.csv
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from uc_signal.directory import InMemoryBindingStore, InMemoryUserDirectory  # noqa: E402
from uc_signal.gc_tuning import tune_for_server  # noqa: E402
from uc_signal.proxy.server import SipServer  # noqa: E402
from uc_signal.sip import DigestAlgorithm  # noqa: E402
from uc_signal.transport import TransportConfig  # noqa: E402


async def serve(args: argparse.Namespace) -> None:
    users = InMemoryUserDirectory()
    with args.users.open(newline="") as f:
        for row in csv.reader(f):
            if row and not row[0].startswith("#"):
                users.add_user(row[0], args.domain, row[1])
    config = TransportConfig(hosts=(args.host,), udp_port=args.port, tcp_port=None, tls_port=None,
                             data_dir=Path(args.data_dir), domain=args.domain)
    algorithms = (DigestAlgorithm.MD5,) if args.md5_only else (DigestAlgorithm.SHA_256, DigestAlgorithm.MD5)
    server = SipServer(config, domains=(args.domain,), users=users, store=InMemoryBindingStore(),
                       secret=b"loadtest-secret-0123456789abcdef", digest_algorithms=algorithms)
    await server.start()
    tune_for_server()  # as ucd does (uc_signal/daemon.py)
    host, port = server.manager.address("UDP")
    print(f"ready {host} {port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), args.time_limit)
    except asyncio.TimeoutError:
        pass
    await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--domain", required=True)
    parser.add_argument("--users", type=Path, required=True)
    parser.add_argument("--data-dir", default="/tmp/ucserver-loadtest")
    parser.add_argument("--md5-only", action="store_true", help="offer only MD5 (sipp 3.6)")
    parser.add_argument("--time-limit", type=float, default=3600.0, help="exit after this many seconds")
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    args = parser.parse_args()
    if args.loop == "uvloop":
        import uvloop
        uvloop.install()
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
