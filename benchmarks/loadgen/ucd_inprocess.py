"""ucd itself fed REGISTER datagrams in-process: what the daemon adds to the SIP code.

`sip_inprocess.py` measures a bare SipServer (in-memory users and bindings). This starts
the real `Daemon` (SQLite store with its users, bindings written behind, Prometheus
counters, the whole application chain, the admin API idle) the way
benchmarks/sip_vs_kamailio.py configures it, replaces its UDP endpoint's `send` with a
list, and feeds N registrations twice (new bindings, then refreshes) through
`TransportManager.packet_received`. At the end every transaction timer is fired as if
40 s had passed (Timer J of every registration's transactions) and the last write-behind
batch is written, so the count covers what a registration costs the daemon over time.

Prints the main thread's CPU per registration. For comparing versions, count instructions
(all threads, the SQLite writer's too) as the difference of two run lengths, the same users
loaded in both:

    ir() { valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \\
             python benchmarks/loadgen/ucd_inprocess.py "$@" 2>&1 | sed -n 's/.*I *refs: *//p' | tr -d ,; }
    echo $(( ($(ir 1300) - $(ir 300)) / 2000 )) instructions per registration

Calls (`--calls N`): alice calls bob through ucd's whole application chain as
sip_inprocess.py's harness does (sipp's uac_invite_auth.xml: INVITE / 407 / ACK, INVITE
with credentials, the callee's 200, ACK and BYE along the Record-Route, the 200 to the
BYE); with `--expire` the transaction timers are then run 64 s on, as after real calls.
Instructions per call, as the difference of two call counts:

    echo $(( ($(ir 10 --calls 600 --expire) - $(ir 10 --calls 100 --expire)) / 500 )) instructions per call

`--no-front`: ucd without its C front of challenges (sip.udp_challenge_front = false), for
an A/B of it: every datagram then goes through the Python stack. The harness feeds the UDP
endpoint's `datagram_received`, the entry a real datagram takes, so the front is included.

Messages (`--messages N`): alice sends bob a page-mode MESSAGE as sipp's
message_auth_uac.xml does against message_uas.xml (MESSAGE / 407, MESSAGE with
Proxy-Authorization claimed by the IM application and forked to bob, bob's 200 relayed back);
`--expire` then runs the timers on and writes the last history batch:

    echo $(( ($(ir 10 --messages 600 --expire) - $(ir 10 --messages 100 --expire)) / 500 )) instructions per message

`--no-archive`: the IM history off (`[policies.im.Global] archive = false`), for an A/B of
what archiving a message costs (the history's write-behind included).

`--busy`: alice and bob are each in another call throughout (as under sipp's load, where
they are in hundreds of concurrent calls), so a call does not change their presence; without
it every call takes them in and out of "In a Call".

    python benchmarks/loadgen/ucd_inprocess.py [REGISTRATIONS] [--users N] [--calls N | --messages N] [--expire] [--busy] [--no-front] [--no-archive] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.loadgen.sip_inprocess import CALLEE_PORT, Harness, expire_transactions  # noqa: E402
from benchmarks.sip_vs_kamailio import DOMAIN, _write_users, write_accounts  # noqa: E402
from uc_signal.config.loader import load_config  # noqa: E402
from uc_signal.gc_tuning import tune_for_server  # noqa: E402
from uc_signal.ucd.logs import configure_logging  # noqa: E402
from uc_signal.ucd.server import Daemon  # noqa: E402


def _free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _run_units(harness: Harness, label: str, unit: Callable[[int], bool], count: int, expire: bool,
                     profile: object | None, profile_file: str | None) -> None:
    """`count` calls or messages through the harness, their main-thread CPU printed; with
    `expire`, the transaction timers run on and the last write-behind batch (the IM
    history's) is written, inside the count."""
    harness.cpu, harness.profile, done = 0.0, profile, 0
    for n in range(count):
        done += unit(n)
        if n % 100 == 99:
            await asyncio.sleep(0)  # the write-behind tasks and the loop's timers run
    if expire:
        expire_transactions(harness)
        started = time.thread_time()
        await asyncio.sleep(0.05)  # the last history batch is written
        harness.cpu += time.thread_time() - started
    harness.profile = None
    if profile is not None and profile_file:
        profile.dump_stats(profile_file)  # type: ignore[attr-defined]
    print(f"ucd in-process {label}: {harness.cpu / count * 1e6:.1f} us each ({done}/{count} completed)")
    if done != count:
        raise SystemExit(f"{label}: {done}/{count} completed")


async def main(registrations: int, users: int, calls: int = 0, expire: bool = False,
               profile_file: str | None = None, busy: bool = False, messages: int = 0,
               front: bool = True, archive: bool = True) -> None:
    with tempfile.TemporaryDirectory(prefix="ucd-inprocess-") as tmp:
        data_dir = Path(tmp) / "var"
        data_dir.mkdir()
        await _write_users(data_dir, users)
        await write_accounts(data_dir, [("alice", "alice-pw"), ("bob", "bob-pw")], first_id=users + 1)   # caller, callee
        config_file = Path(tmp) / "ucd.toml"
        config_file.write_text(
            f'[daemon]\ndata_dir = "{data_dir}"\n\n'
            f'[sip]\ndomain = "{DOMAIN}"\nlisten = ["127.0.0.1"]\ntransports = ["udp"]\nudp_port = 0\n'
            f'udp_challenge_front = {"true" if front else "false"}\n\n'
            '[auth]\nalgorithms = ["MD5"]\n\n'
            f'[http]\nhost = "127.0.0.1"\nport = {_free_tcp_port()}\n\n[log]\nlevel = "warning"\n'
            + ("" if archive else "\n[policies.im.Global]\narchive = false\n"))
        config = load_config(str(config_file))
        configure_logging(config.log.format, config.log.level)
        daemon = Daemon(config)
        await daemon.start()
        tune_for_server()
        assert daemon.manager is not None and daemon.bindings is not None
        profile = None
        if profile_file:
            import cProfile
            profile = cProfile.Profile(time.thread_time)
        harness = Harness(daemon, None)  # type: ignore[arg-type]  # a Daemon has the .manager it needs
        loop = asyncio.get_running_loop()
        started = time.thread_time()
        try:
            for round_ in ("new", "refresh"):
                done = 0
                for i in range(registrations):
                    done += harness.registration(f"u{i}", f"pw{i}", 20000 + i % 20000, f"{round_}{i}")
                    if i % 100 == 99:
                        await asyncio.sleep(0)  # the write-behind task and the loop's timers run
                if done != registrations:
                    raise SystemExit(f"{round_}: {done}/{registrations} registrations got 200")
            daemon.manager.layer.handle_timer(loop.time() + 40.0)  # every Timer J
            daemon.manager._process()
            await daemon.bindings.flush()
            cpu = time.thread_time() - started
            print(f"ucd in-process: {cpu / max(1, 2 * registrations) * 1e6:.1f} us per registration "
                  f"(main thread CPU; {registrations} registrations x 2 rounds, {users} users)")
            if calls:
                assert harness.registration("bob", "bob-pw", CALLEE_PORT, "bob")
                if busy:
                    assert daemon.presence is not None
                    for user in ("alice", "bob"):
                        daemon.presence.calls.call_started(f"sip:{user}@{DOMAIN}", "held-call", time.time())
                await _run_units(harness, "calls", harness.call, calls, expire, profile, profile_file)
            if messages:
                assert harness.registration("bob", "bob-pw", CALLEE_PORT, "bob")
                await _run_units(harness, "messages", harness.message, messages, expire, profile, profile_file)
        finally:
            await daemon.shutdown()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("registrations", type=int, nargs="?", default=1300)
    parser.add_argument("--users", type=int, default=1300, help="users in the store (>= registrations)")
    parser.add_argument("--calls", type=int, default=0, help="calls from alice to bob after the registrations")
    parser.add_argument("--messages", type=int, default=0, help="MESSAGEs from alice to bob after the registrations")
    parser.add_argument("--expire", action="store_true", help="run the transaction timers 64 s on after the calls or messages")
    parser.add_argument("--profile", default=None, help="cProfile the calls into FILE")
    parser.add_argument("--busy", action="store_true", help="alice and bob in another call throughout")
    parser.add_argument("--no-archive", action="store_true", help="[policies.im.Global] archive = false")
    parser.add_argument("--no-front", action="store_true", help="sip.udp_challenge_front = false: challenges in Python")
    args = parser.parse_args()
    if args.users < args.registrations:
        parser.error("--users must be at least the number of registrations")
    import uvloop
    uvloop.install()
    asyncio.run(main(args.registrations, args.users, args.calls, args.expire, args.profile, args.busy,
                     args.messages, not args.no_front, not args.no_archive))
