"""Meeting joins through SIP: participants INVITE one meeting on ucd's focus, then the
engine mixes them under the C load generator.

    python benchmarks/meeting_joins.py [--quick]

For each meeting size N (250, Lync's default meeting limit; 1,000 too in the full run):

1. ucd starts as an operator runs it (`python -m uc_signal.daemon --config ucd.toml`),
   with the media engine on; once it is up, the admin API makes the organizer (a user) and
   one meet-now meeting, the way an operator would (`ucctl meeting add organizer
   --presenters none --lobby nobody`): the load generator's participants are anonymous
   callers from another domain, so they join as attendees and nobody waits in the lobby.
2. sipp (benchmarks/sipp/meeting_join_uac.xml) joins N participants to the meeting's
   conference URI at an offered rate
   above what ucd sustains: INVITE with an SDES-SRTP Opus offer (a fresh key and the load
   generator's RTP address per participant) -> 200 with the engine's answer -> ACK, then
   holds the call. Joins per second = N over the time from the first to the last 200;
   ucd's CPU (utime+stime of its process, the engine's worker threads included) over the
   join phase, per join.
3. The load generator (benchmarks/loadgen/loadgen.c, sockets on the addresses the offers
   named, -b) plays 3 talkers and N-3 listeners into the legs the focus made, with the
   keys from the answers: the mix is verified (every talker hears the other two and not
   itself, checked listeners hear all three) and packet loss counted.
4. sipp hangs up (BYE); the meeting must be gone from the admin API.

Reference, in the same run: the same N offers answered in this process by the focus's
engine rooms (`EngineRooms.answer`, SDP negotiation + leg + join, no SIP; the calling
thread's CPU): ucd's CPU per join is quoted as a ratio to it. Two ucd figures: its main
thread (the asyncio loop: SIP transport and dialogs, the focus, the meeting's roster;
compared with the reference) and its whole process, which also holds the engine worker's
ticks over the join phase (a growing meeting, every leg sent the mix each 20 ms); the
latter grows with the join phase's length, so with how busy the machine is.

The machine is shared: figures are provisional.
"""

from __future__ import annotations

import base64
import csv
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

import uc_media  # noqa: E402
from benchmarks import _common  # noqa: E402
from benchmarks.loadgen import driver  # noqa: E402
from benchmarks.sip_vs_kamailio import (CLK_TCK, cpu_seconds, free_port, sipp_stats, stop_tree,  # noqa: E402
                                        wait_sip_ready)
from uc_signal.focus.engine_media import EngineRooms  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "benchmarks" / "sipp" / "meeting_join_uac.xml"
DOMAIN = "example.test"
ORGANIZER = "organizer"
MEDIA_PORTS = (41000, 44999)
PER_SOCKET = 64
TALKERS = 3


def free_block(count: int) -> int:
    """A base port with `count` consecutive free UDP ports on loopback (bounded search),
    below the ephemeral range and outside the media engine's."""
    for base in range(20000, 30000 - count, 97):
        probes: list[socket.socket] = []
        try:
            for port in range(base, base + count):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                probes.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in probes:
                sock.close()
    raise SystemExit(f"no {count} consecutive free UDP ports in 20000-30000")


def offer_sdp(port: int, key: bytes) -> bytes:
    return (f"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            f"m=audio {port} RTP/SAVP 111\r\na=rtpmap:111 opus/48000/2\r\n"
            "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
            f"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{base64.b64encode(key).decode()}\r\n"
            "a=rtcp-mux\r\na=sendrecv\r\n").encode()


def reference_answers(size: int, base: int, keys: list[bytes]) -> float:
    """CPU seconds per join when this process answers the same offers on an engine: the
    calling thread's CPU only (thread_time), not the engine worker ticking meanwhile."""
    with uc_media.Engine(workers=1, port_range=MEDIA_PORTS) as engine:
        rooms = EngineRooms(engine, max_participants=size)
        room = rooms.open_room(lambda talkers: None)
        offers = [offer_sdp(base + i // PER_SOCKET, keys[i]) for i in range(size)]
        start = time.thread_time()
        for sdp in offers:
            room.answer(sdp)
        spent = time.thread_time() - start
        room.close()
    return spent / size


def start_ucd(workdir: Path, size: int) -> tuple[subprocess.Popen[bytes], int, str, str]:
    data_dir = workdir / "ucd-var"
    port, http_port = free_port(), free_port(socket.SOCK_STREAM)
    config = workdir / "ucd.toml"
    config.write_text(
        f'[daemon]\ndata_dir = "{data_dir}"\n\n'
        f'[sip]\ndomain = "{DOMAIN}"\nlisten = ["127.0.0.1"]\ntransports = ["udp"]\nudp_port = {port}\n\n'
        f'[http]\nhost = "127.0.0.1"\nport = {http_port}\n\n'
        f'[media]\nworkers = 1\nport_min = {MEDIA_PORTS[0]}\nport_max = {MEDIA_PORTS[1]}\n\n'
        f'[conferencing]\nmax_participants = {size}\n\n'
        '[log]\nlevel = "warning"\n')
    log = (workdir / "ucd.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "uc_signal.daemon", "--config", str(config)], cwd=ROOT,
                               stdout=log, stderr=subprocess.STDOUT)
    wait_sip_ready(port, process)
    token = (data_dir / "admin-token").read_text().strip()
    return process, port, f"http://127.0.0.1:{http_port}", token


def main_thread_cpu_seconds(pid: int) -> float:
    """utime+stime of a process's main thread (its task with the process's own id)."""
    with open(f"/proc/{pid}/task/{pid}/stat") as f:
        text = f.read()
    fields = text[text.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def add_meeting(api: httpx.Client) -> dict[str, Any]:
    """The organizer and one meet-now meeting, through the admin API: attendees unless
    promoted, and nobody waits in the lobby (the callers are anonymous)."""
    api.post("/api/v1/users", json={"user": ORGANIZER, "password": secrets.token_hex(8)}).raise_for_status()
    made = api.post("/api/v1/meetings", json={"organizer": ORGANIZER, "subject": "meeting joins benchmark",
                                               "presenter_policy": "none", "lobby_policy": "nobody"})
    made.raise_for_status()
    meeting: dict[str, Any] = made.json()
    return meeting


def join_meeting(size: int, rate: int, media_ms: int, binary: Path, workdir: Path) -> dict[str, Any]:
    sockets = (size + PER_SOCKET - 1) // PER_SOCKET
    base = free_block(sockets)
    send_keys = [secrets.token_bytes(30) for _ in range(size)]
    reference_s = reference_answers(size, base, send_keys)

    injection = workdir / "participants.csv"
    injection.write_text("SEQUENTIAL\n" + "".join(
        f"{base + i // PER_SOCKET};{base64.b64encode(send_keys[i]).decode()};{i}\n" for i in range(size)))
    log_file = workdir / "joins.log"
    hold_ms = int((size / rate + 10 + media_ms / 1000 + 10) * 1000)
    process, sip_port, admin_url, token = start_ucd(workdir, size)
    sipp = None
    try:
        api = httpx.Client(base_url=admin_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        meeting = add_meeting(api)
        cpu0, main0 = cpu_seconds(process.pid), main_thread_cpu_seconds(process.pid)
        sipp = subprocess.Popen(
            ["sipp", f"127.0.0.1:{sip_port}", "-sf", str(SCENARIO), "-set", "conference", meeting["conference_uri"],
             "-inf", str(injection), "-m", str(size), "-l", str(size), "-r", str(rate), "-d", str(hold_ms),
             "-i", "127.0.0.1", "-p", str(free_port()), "-mp", str(free_port()), "-nostdin", "-max_retrans", "5",
             "-trace_logs", "-log_file", str(log_file), "-trace_stat", "-stf", str(workdir / "sipp-stats.csv"),
             "-timeout", f"{int(hold_ms / 1000 + 60)}s"],
            cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        joined: dict[int, tuple[int, bytes]] = {}
        joined_at: dict[int, float] = {}
        first = last = None
        deadline = time.monotonic() + size / rate * 4 + 30
        while len(joined) < size and time.monotonic() < deadline and sipp.poll() is None:
            if log_file.exists():
                # Whole lines only: sipp may be half-way through writing the last one.
                for line in log_file.read_text().rpartition("\n")[0].splitlines():
                    found = re.fullmatch(r"(\d+);(\d+);([A-Za-z0-9+/=]+)", line.strip())
                    if found and int(found[1]) not in joined:
                        joined[int(found[1])] = (int(found[2]), base64.b64decode(found[3]))
                        joined_at[int(found[1])] = time.monotonic()
                        first = first or time.monotonic()
                        last = time.monotonic()
            time.sleep(0.01)
        cpu_join = cpu_seconds(process.pid) - cpu0
        main_join = main_thread_cpu_seconds(process.pid) - main0
        if len(joined) < size or first is None or last is None:
            raise SystemExit(f"only {len(joined)} of {size} joins answered (see {workdir}/ucd.log)")
        roster = api.get(f"/api/v1/conferences/{meeting['conference_id']}").json()
        in_meeting = len(roster["participants"])
        roles = Counter(p["role"] for p in roster["participants"])
        in_lobby = sum(p["in_lobby"] for p in roster["participants"])
        by_entity = {p["entity"]: p for p in roster["participants"]}

        people = "".join(f"{joined[i][0]},{send_keys[i].hex()},{joined[i][1].hex()},0,{i if i < TALKERS else -1}\n"
                         for i in range(size))
        csv_path = workdir / "loadgen.csv"
        csv_path.write_text("# port,send_key,recv_key,group,signature\n" + people)
        gen = subprocess.run([str(binary), "-c", str(csv_path), "-d", str(media_ms), "-x", "1", "-g", str(PER_SOCKET),
                              "-b", str(base), "-l", "4", "-G", "1"], capture_output=True, text=True, timeout=120)
        if gen.returncode != 0:
            raise SystemExit(f"loadgen exited {gen.returncode}: {gen.stderr.strip()}")
        mix = json.loads(gen.stdout.strip().splitlines()[-1])
        # A participant that heard nothing: where its join fell, and what the focus says of it.
        order = sorted(joined, key=lambda i: joined_at[i])
        silent = [{**leg, "join_rank": order.index(leg["index"]),
                   "joined_after_s": round(joined_at[leg["index"]] - first, 3), "port": joined[leg["index"]][0],
                   "roster": by_entity.get(f"sip:load{leg['index']}@loadgen.invalid")} for leg in mix["silent"]]

        sipp_code = sipp.wait(timeout=hold_ms / 1000 + 90)
        left = api.get("/api/v1/conferences").json()
        stats = driver_stats(workdir / "sipp-stats.csv")
    finally:
        if sipp is not None and sipp.poll() is None:
            sipp.kill()
            sipp.wait(timeout=10)
        stop_tree(process, [])
    engine_errors = (workdir / "ucd.log").read_text(errors="replace").count("media engine error")
    joins_per_s = (size - 1) / max(last - first, 1e-3)
    return {
        "participants": size, "offered_rate": rate, "joins_per_s": round(joins_per_s, 1),
        "ucd_main_thread_ms_per_join": round(main_join / size * 1e3, 3),
        "ucd_cpu_ms_per_join": round(cpu_join / size * 1e3, 3),
        "reference_cpu_ms_per_join": round(reference_s * 1e3, 3),
        "main_thread_ratio_to_reference": round(main_join / size / reference_s, 2),
        "cpu_ratio_to_reference": round(cpu_join / size / reference_s, 2),
        "in_roster": in_meeting, "roles": dict(roles), "in_lobby": in_lobby, "sipp_exit": sipp_code, "sipp_failed": stats.get("failed", -1),
        "sipp_retransmissions": stats.get("retransmissions", -1), "sipp_failures": failure_kinds(workdir / "sipp-stats.csv"),
        "mix_content_ok": bool(mix["content_ok"]), "mix_checked": mix["checked"],
        "mix_loss_fraction": mix["loss_fraction"], "silent_participants": mix["silent_participants"],
        "silent": silent, "mix_auth_failed": mix["auth_failed"], "mix_stray": mix["stray"],
        "left_after_bye": left == [], "engine_error_events": engine_errors,
    }


def driver_stats(path: Path) -> dict[str, int]:
    return sipp_stats(path)


def failure_kinds(path: Path) -> dict[str, int]:
    """sipp's non-zero Failed* counters (cumulative): what kind of failure, when there is one."""
    rows = list(csv.reader(path.open(), delimiter=";")) if path.exists() else []
    if len(rows) < 2:
        return {}
    return {name: int(value) for name, value in zip(rows[0], rows[-1])
            if name.startswith("Failed") and name.endswith("(C)") and value.isdigit() and int(value) > 0}


def main() -> None:
    quick = _common.quick_flag()
    if shutil.which("sipp") is None:
        raise SystemExit("sipp is not installed (apt-get install sip-tester)")
    binary = driver.build()
    sizes = [250] if quick else [250, 1000]
    rate = 400
    media_ms = 3000 if quick else 5000
    runs: dict[str, dict[str, Any]] = {}
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="meeting-joins-") as tmp:
            result = join_meeting(size, rate, media_ms, binary, Path(tmp))
        runs[str(size)] = result
        print(f"{size} participants: {result}", file=sys.stderr, flush=True)
    targets: dict[str, dict[str, object]] = {}
    for name, result in runs.items():
        clean = (result["in_roster"] == int(name) == result["roles"].get("attendee") and result["in_lobby"] == 0
                 and result["sipp_failed"] == 0 and result["sipp_exit"] == 0
                 and result["mix_content_ok"] and result["left_after_bye"])
        targets[f"joins_per_s_{name}"] = _common.target(float(result["joins_per_s"]), 50,
                                                        ">= 50 joins/s (busy machine)", higher_is_better=True)
        targets[f"all_joined_mixed_and_left_{name}"] = {"value": clean, "target": "every join answered, the mix "
                                                        "verified, everyone gone after BYE", "met": clean}
    _common.emit({"runs": runs, "quick": quick, "cpus": os.cpu_count()}, targets)


if __name__ == "__main__":
    main()
