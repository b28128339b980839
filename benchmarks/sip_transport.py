"""SIP transports under sipp: CPU time per OPTIONS transaction, ucserver vs Kamailio.

Both servers answer OPTIONS statefully with 200 OK (ours: TransportManager +
TransactionLayer + a TU calling send_response; Kamailio 5.6: tm `t_newtran()` +
`t_reply()`), one worker process each, UDP and TCP on loopback. sipp
(tests/integration/sipp/options_uac.xml) sends the same number of OPTIONS at the same
rate to each; the figure is the server's CPU time (utime+stime of every process of it,
from /proc) per transaction, and the ratio ours / Kamailio's. Failed sipp calls are
reported; a run with failures does not count as met.

    python benchmarks/sip_transport.py [--quick]
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import ROOT, emit, quick_flag, target  # noqa: E402

SCENARIO = ROOT / "tests" / "integration" / "sipp" / "options_uac.xml"
KAMAILIO_MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port")


def cpu_seconds(root_pid: int) -> float:
    """utime+stime of root_pid and all its descendants."""
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        times[pid] = (int(fields[11]) + int(fields[12])) / TICK
    total, stack = 0.0, [root_pid]
    for _ in range(10_000):
        if not stack:
            break
        pid = stack.pop()
        total += times.get(pid, 0.0)
        stack.extend(children.get(pid, []))
    return total


def wait_listening(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"server on {port} did not start")


def start_ours(port: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, "--serve", str(port)], cwd=ROOT)


def start_kamailio(port: int, workdir: Path) -> subprocess.Popen:
    config = workdir / "kamailio.cfg"
    config.write_text(f"""#!KAMAILIO
debug=0
log_stderror=yes
children=1
tcp_children=1
listen=udp:127.0.0.1:{port}
listen=tcp:127.0.0.1:{port}
mpath="{KAMAILIO_MODULES}"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "textops.so"
request_route {{
    if (is_method("OPTIONS")) {{ t_newtran(); t_reply("200", "OK"); exit; }}
    sl_send_reply("501", "Not Implemented");
}}
""")
    return subprocess.Popen(["kamailio", "-DD", "-E", "-f", str(config), "-m", "256", "-M", "16",
                             "-Y", str(workdir / "run")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def run_sipp(port: int, transport: str, calls: int, rate: int, workdir: Path) -> int:
    """Run sipp; return the number of failed calls."""
    stats = workdir / f"sipp_{transport}_{port}.csv"
    subprocess.run(
        ["timeout", "120", "sipp", f"127.0.0.1:{port}", "-sf", str(SCENARIO), "-t", transport,
         "-m", str(calls), "-r", str(rate), "-l", str(rate * 2), "-i", "127.0.0.1", "-p", str(free_port()),
         "-mp", str(free_port()), "-timeout", "100s", "-nostdin", "-trace_stat", "-stf", str(stats),
         "-fd", "100"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    lines = stats.read_text().splitlines()
    header, last = lines[0].split(";"), lines[-1].split(";")
    return int(last[header.index("FailedCall(C)")])


def measure(server: subprocess.Popen, port: int, transport: str, calls: int, rate: int,
            workdir: Path) -> tuple[float, int]:
    before = cpu_seconds(server.pid)
    failed = run_sipp(port, transport, calls, rate, workdir)
    time.sleep(0.2)  # let the last responses leave
    return (cpu_seconds(server.pid) - before) / calls, failed


def stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def serve(port: int) -> None:
    """The ucserver side: UDP and TCP on `port`, a TU answering 200 to every request."""
    from uc_signal.sip import RequestReceived, TransactionEvent, make_response
    from uc_signal.transport import TransportConfig, TransportManager

    async def main() -> None:
        manager: TransportManager

        def answer(event: TransactionEvent) -> None:
            if isinstance(event, RequestReceived) and event.transaction is not None:
                manager.send_response(make_response(event.request, 200, to_tag="bench"), event.transaction)

        config = TransportConfig(udp_port=port, tcp_port=port, tls_port=None)
        manager = TransportManager(config, answer)
        await manager.start()
        stopped = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
        await stopped.wait()
        await manager.stop()

    asyncio.run(main())


def main() -> None:
    quick = quick_flag()
    calls, rate = (2000, 500) if quick else (20000, 2000)
    figures: dict[str, float] = {"calls": calls, "rate_per_s": rate}
    targets: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "run").mkdir()
        ours_port, kamailio_port = free_port(), free_port()
        ours, kamailio = start_ours(ours_port), start_kamailio(kamailio_port, workdir)
        try:
            wait_listening(ours_port)
            wait_listening(kamailio_port)
            for transport, flag in (("udp", "u1"), ("tcp", "t1")):
                ours_cpu, ours_failed = measure(ours, ours_port, flag, calls, rate, workdir)
                ref_cpu, ref_failed = measure(kamailio, kamailio_port, flag, calls, rate, workdir)
                figures[f"{transport}_ucserver_cpu_us_per_options"] = round(ours_cpu * 1e6, 1)
                figures[f"{transport}_kamailio_cpu_us_per_options"] = round(ref_cpu * 1e6, 1)
                figures[f"{transport}_ucserver_failed_calls"] = ours_failed
                figures[f"{transport}_kamailio_failed_calls"] = ref_failed
                ratio = ours_cpu / ref_cpu if ref_cpu > 0 else float("inf")
                entry = target(ratio, 3.0, "<= 3x Kamailio CPU per OPTIONS transaction")
                entry["met"] = entry["met"] and ours_failed == 0
                targets[f"{transport}_cpu_ratio_vs_kamailio"] = entry
        finally:
            stop(ours)
            stop(kamailio)
    emit(figures, targets)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(int(sys.argv[2]))
    else:
        main()
