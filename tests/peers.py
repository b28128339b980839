"""Launching the real peers (sipp, sipsak, baresip, linphonec, ffmpeg) on loopback and
waiting for them: shared by tests/integration/*.py (tests/ is on sys.path through
tests/conftest.py) and scripts/capture_*.py (which put tests/ on sys.path themselves).

Every wait is bounded in time; cleanup acts on the processes started here, by their
handle (PID), never by name. A missing peer is an AssertionError, never a skip: `make test`
installs them (PEERS.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

BARESIP_MODULES = "/usr/lib/baresip/modules"


def require(program: str) -> str:
    """The path of `program`, or an AssertionError naming it."""
    path = shutil.which(program)
    assert path is not None, f"{program} is not installed (make test installs it): this peer test cannot run"
    return path


def free_port(kind: int = socket.SOCK_DGRAM, host: str = "127.0.0.1") -> int:
    """A port nobody holds right now (the peer binds it a moment later)."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


# Ports for peers that bind several at once: sipp's media (-mp P: audio RTP/RTCP at P,
# P+1, video at P+2, P+3) and baresip's SIP (UDP and TCP on P, TLS on P+1). Ports from the
# ephemeral range (32768-60999 here) can be taken by any client socket between our probe
# and the peer's bind, so these come from below it, in blocks of four. A probe alone does
# not keep two processes apart (pytest-xdist workers, or two runs side by side): both can
# find a block free in the instant before either peer binds it. So each block is first
# claimed machine-wide by binding an abstract Unix socket named after it, held until this
# process exits (the kernel frees the name then, even after a kill): a block claimed by
# one process is skipped by every other one. The starting block depends on the pid only to
# spread the search.
_PEER_BLOCKS = list(range(20000, 32760, 4))
_PEER_PORTS = iter(_PEER_BLOCKS[os.getpid() % len(_PEER_BLOCKS):] + _PEER_BLOCKS[:os.getpid() % len(_PEER_BLOCKS)])
_CLAIMS: list[socket.socket] = []


def _claim(base: int) -> bool:
    """Claim the block at `base` for this process; False if another process holds it."""
    claim = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        claim.bind(f"\0ucserver-test-ports-{base}")
    except OSError:
        claim.close()
        return False
    _CLAIMS.append(claim)
    return True


def _free_block(host: str, binds: tuple[tuple[int, int], ...], what: str) -> int:
    """The base P of the next block, claimed by this process, where every (offset,
    socket kind) of `binds` is free."""
    for base in _PEER_PORTS:
        if not _claim(base):
            continue
        probes: list[socket.socket] = []
        try:
            for offset, kind in binds:
                probes.append(socket.socket(socket.AF_INET, kind))
                probes[-1].bind((host, base + offset))
            return base
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
    raise AssertionError(f"no free block of ports for {what} on {host}")


def port_block(host: str = "127.0.0.1") -> int:
    """A base port P with UDP P..P+3 free on `host` and kept from other test processes:
    for a test that needs to know exactly which ports something will bind."""
    return _free_block(host, tuple((offset, socket.SOCK_DGRAM) for offset in range(4)), "a test")


def sipp_media_port(host: str = "127.0.0.1") -> int:
    """A base port P for sipp's -mp with P..P+3 free (UDP) on `host`."""
    return _free_block(host, tuple((offset, socket.SOCK_DGRAM) for offset in range(4)), "sipp media")


def baresip_sip_port(host: str = "127.0.0.1") -> int:
    """A port P for baresip's sip_listen: UDP and TCP P and TLS on P+1 all free on `host`."""
    return _free_block(host, ((0, socket.SOCK_DGRAM), (0, socket.SOCK_STREAM), (1, socket.SOCK_STREAM)),
                       "baresip SIP")


def linphone_ports(host: str = "127.0.0.1") -> tuple[int, int]:
    """linphonec's SIP port (UDP) and its audio RTP port, whose RTCP takes the next one."""
    base = _free_block(host, ((0, socket.SOCK_DGRAM), (2, socket.SOCK_DGRAM), (3, socket.SOCK_DGRAM)),
                       "linphonec")
    return base, base + 2


def udp_socket_pair(host: str = "127.0.0.1") -> tuple[socket.socket, socket.socket]:
    """Two bound UDP sockets on consecutive ports P (even, RTP) and P+1 (RTCP, RFC 3550 11)."""
    for _ in range(50):
        rtp_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rtp_sock.bind((host, 0))
        port = rtp_sock.getsockname()[1]
        if port % 2 == 0:
            rtcp_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                rtcp_sock.bind((host, port + 1))
                return rtp_sock, rtcp_sock
            except OSError:
                rtcp_sock.close()
        rtp_sock.close()
    raise AssertionError(f"no free even/odd UDP port pair on {host}")


def udp_port_bound(port: int) -> bool:
    """Whether some process has bound UDP port `port` (the local_address column)."""
    with open("/proc/net/udp") as table:
        next(table)
        return any(int(line.split()[1].rsplit(":", 1)[1], 16) == port for line in table)


def wait_udp_bound(port: int, proc: subprocess.Popen[str], timeout: float = 20.0) -> None:
    """Wait until `proc` (or anyone) binds UDP `port`; fail if it exits or time runs out."""
    deadline = time.monotonic() + timeout
    while not udp_port_bound(port) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert udp_port_bound(port), f"the peer never bound its RTP port {port} (exit status {proc.returncode})"


def ffmpeg_srtp_recorder(sdp: Path, port: int, crypto: str, wav: Path, seconds: int) -> subprocess.Popen[str]:
    """Start ffmpeg receiving Opus (payload type 111) over SRTP on 127.0.0.1:`port`, keyed
    by the SDP line `crypto` ("a=crypto:..."), decoding `seconds` s into a mono 48 kHz
    `wav`; the SDP it reads is written to `sdp`. Wait for wait_udp_bound() before sending."""
    sdp.write_text("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=uc_media\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                   f"m=audio {port} RTP/SAVP 111\r\na=rtpmap:111 opus/48000/2\r\n{crypto}\r\n")
    return subprocess.Popen(
        [require("ffmpeg"), "-hide_banner", "-nostdin", "-loglevel", "warning",
         "-protocol_whitelist", "file,udp,rtp,srtp,crypto",
         "-i", str(sdp), "-t", str(seconds), "-ac", "1", "-ar", "48000", "-y", str(wav)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stop(procs: Iterable[subprocess.Popen[bytes] | subprocess.Popen[str] | None], timeout: float = 10.0) -> None:
    """Stop those of `procs` still running and reap them (bounded): SIGTERM first, which
    coreutils `timeout` passes on to the peer it runs (a SIGKILL ends `timeout` alone and
    orphans the peer: an orphaned linphonec spins on its closed stdin for ever), then
    SIGKILL for what is still running after `timeout` seconds."""
    running = [proc for proc in procs if proc is not None and proc.poll() is None]
    for proc in running:
        proc.terminate()
    for proc in running:
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            # A peer that ignored the SIGTERM `timeout` passed on is killed first: killing
            # `timeout` alone would orphan it.
            for child in children(proc.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
            proc.kill()
            proc.wait(timeout)


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid`, from /proc (this kernel has no
    /proc/PID/task/TID/children)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def missing(*programs: str) -> list[str]:
    """Those of `programs` not on PATH (for scripts, which report rather than assert)."""
    return [p for p in programs if shutil.which(p) is None]


def run_timed(cmd: list[str], seconds: int, *, cwd: str | Path | None = None,
              env: Mapping[str, str] | None = None) -> None:
    """Run a peer under coreutils `timeout` (killed after `seconds`), output discarded;
    its exit status is not checked: what it sent is what the caller looks at."""
    print("  $", " ".join(cmd[:8]), "...")
    subprocess.run(["timeout", str(seconds), *cmd], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def run_linphonec(rc: Path, commands: list[tuple[str, float]], seconds: int, *, cwd: Path,
                  env: Mapping[str, str]) -> None:
    """Type each (command, pause after it) into linphonec, after a 2 s start (it reads
    stdin line by line and drops what is typed before it is up), under `timeout`."""
    script = "sleep 2" + "".join(f"; echo '{line}'" + (f"; sleep {pause:g}" if pause else "")
                                 for line, pause in commands)
    print(f"  $ linphonec -c {rc.name} ({', '.join(line.split()[0] for line, _ in commands)})")
    subprocess.run(["timeout", str(seconds), "sh", "-c", f"({script}) | linphonec -c {rc} -d 0"], cwd=cwd,
                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


class DatagramThread(threading.Thread):
    """A UDP socket on loopback served by a daemon thread: handle() gets every datagram.
    The receive timeout bounds how long close() waits for the thread to notice."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.sock.settimeout(0.2)
        self.port: int = self.sock.getsockname()[1]
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            self.handle(data, addr)

    def handle(self, data: bytes, addr: tuple[str, int]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.stopping.set()
        self.join(2)
        self.sock.close()


async def run_peer(*argv: str, timeout: float = 60.0) -> tuple[int, str]:
    """Run a peer to its end (stdout and stderr together); killed when `timeout` passes."""
    program = argv[0] if argv[0].startswith("/") else require(argv[0])
    process = await asyncio.create_subprocess_exec(
        program, *argv[1:], stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        out, _ = await asyncio.wait_for(process.communicate(), timeout)
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, out.decode(errors="replace")


async def wait_until(condition: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    """Poll `condition` every 100 ms; AssertionError(`what`) if it is not met in time."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.1)


def baresip_config(conf: Path, sip_port: int, account: str, *,
                   modules: Iterable[str] = ("opus.so", "ausine.so", "aufile.so"),
                   host: str = "127.0.0.1", extra: str = "", source: str = "ausine,440",
                   player: str = "aufile,/dev/null") -> Path:
    """A baresip configuration directory: one account line, a 440 Hz tone as the source
    and /dev/null as the player (no sound card here; ausine makes 48 kHz only, so
    pair it with opus: PEERS.md). `player` "aufile,OUT.wav" records what it hears."""
    conf.mkdir()
    (conf / "config").write_text(
        f"module_path {BARESIP_MODULES}\n"
        f"sip_listen {host}:{sip_port}\n"
        + "".join(f"module {m}\n" for m in modules)
        + "module_app account.so\nmodule_app menu.so\n"
        f"audio_source {source}\naudio_player {player}\n" + extra)
    (conf / "accounts").write_text(account + "\n")
    (conf / "contacts").write_text("")
    return conf


def linphone_rc(path: Path, sip_port: int, rtp_port: int, *, host: str = "127.0.0.1", extra: str = "") -> Path:
    """A linphonec configuration: UDP only on `sip_port`, audio RTP on `rtp_port`."""
    path.write_text(f"[sip]\nsip_port={sip_port}\nsip_tcp_port=0\nsip_tls_port=0\n"
                    f"bind_address={host}\n{extra}[rtp]\naudio_rtp_port={rtp_port}\n")
    return path


def linphone_account(host: str, port: int, user: str, password: str, domain: str = "example.test") -> str:
    """linphone_rc's `extra` for one account registered through the server at host:port:
    [proxy_0] with reg_route, so that calls go through the server too (linphonec resolves
    the domain itself otherwise, and there is no DNS here), and [auth_info_0]."""
    return (f"default_proxy=0\n[proxy_0]\nreg_proxy=<sip:{host}:{port}>\nreg_route=<sip:{host}:{port};lr>\n"
            f"reg_identity=sip:{user}@{domain}\nreg_expires=600\nreg_sendregister=1\n"
            f"[auth_info_0]\nusername={user}\npasswd={password}\nrealm={domain}\n")


def linphonec_through(server: tuple[str, int], user: str, password: str, workdir: Path, *commands: str,
                      output: bool = False) -> subprocess.Popen[str]:
    """linphonec (60 s at most, under coreutils timeout: stop it with `stop`) registered as
    `user` through the server at `server` (linphone_account), with `commands` written to its
    stdin; its stdout piped when `output`, else discarded."""
    binary = shutil.which("linphonec")
    assert binary, "linphonec is not installed (make test installs linphone-cli)"
    host, port = server
    rc = linphone_rc(workdir / "linphonerc", *linphone_ports(), extra=linphone_account(host, port, user, password))
    sink = subprocess.PIPE if output else subprocess.DEVNULL
    proc = subprocess.Popen(["timeout", "60", binary, "-c", str(rc), "-d", "0"], stdin=subprocess.PIPE,
                            stdout=sink, stderr=subprocess.STDOUT if output else subprocess.DEVNULL, text=True,
                            env=linphone_env(workdir / "linphone-home"), cwd=workdir)
    assert proc.stdin is not None
    proc.stdin.write("".join(f"{command}\n" for command in commands))
    proc.stdin.flush()
    return proc


def linphone_env(home: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment linphonec needs: without a writable data directory liblinphone
    never brings its SIP transports up ("No listening point matching for udp://...")."""
    (home / ".local" / "share" / "linphone").mkdir(parents=True)
    env = dict(base) if base is not None else {"PATH": "/usr/bin:/bin"}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / ".local" / "share"))
    return env
