"""The registrar and proxy fed datagrams in-process: the CPU of the SIP code alone, without
sockets, the event loop or other processes, for comparing two versions of that code.

A SipServer (in-memory users and bindings, MD5 challenges, as benchmarks/loadgen/
run_sip_server.py runs it) is started; its UDP endpoints' `send` is replaced by a list, and
each message goes in through `TransportManager.packet_received`, the call a datagram makes.
The client side (building requests, answering challenges, the callee's answers) runs here
too but outside the timed calls.

- registrations: N users, each REGISTER / 401 / REGISTER with Authorization / 200; two
  rounds (new bindings, then refreshes);
- calls: alice calls bob (registered here) through the proxy as sipp's
  uac_invite_auth.xml does: INVITE / 407 / ACK, INVITE with Proxy-Authorization / 100 and
  the forwarded INVITE, the callee's 200, ACK and BYE along the Record-Route, the callee's
  200 to the BYE.

Prints the thread CPU per registration and per call (and the best 250-registration or
100-call stretch). On a busy machine those vary by 10% and more; instruction counts do
not, within ~1% (hash seeds and random nonces vary). docs/benchmarks.md counts them as the
difference of two run lengths under valgrind:

    ir() { valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \\
             python benchmarks/loadgen/sip_inprocess.py "$@" 2>&1 | sed -n 's/.*I *refs: *//p' | tr -d ,; }
    echo $(( ($(ir 1300 0) - $(ir 300 0)) / 2000 )) instructions per registration
    echo $(( ($(ir 300 300) - $(ir 300 0)) / 300 )) instructions per call

    python benchmarks/loadgen/sip_inprocess.py [REGISTRATIONS [CALLS]] [--profile FILE] [--expire]

--expire: after the calls, the transaction layer's clock is moved 64 s on and its timers
run (Timers J, K, M, L... end every transaction of the run, each with a TransactionTerminated
event to the proxy core), timed as part of the calls: the work a real server does 32 s
after each call. Instruction counts with --expire include it; without it they do not.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from uc_signal.directory import InMemoryBindingStore, InMemoryUserDirectory  # noqa: E402
from uc_signal.gc_tuning import tune_for_server  # noqa: E402
from uc_signal.proxy.server import SipServer  # noqa: E402
from uc_signal.sip import DigestAlgorithm, DigestChallenge, parse_datagram  # noqa: E402
from uc_signal.sip.digest import build_credentials  # noqa: E402
from uc_signal.transport import TransportConfig  # noqa: E402

DOMAIN = "example.com"
CALLER_PORT, CALLEE_PORT = 7000, 7001
SDP = (b"v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       b"m=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


def register(user: str, port: int, call_id: str, cseq: int, authorization: str | None = None) -> bytes:
    aor = f"sip:{user}@{DOMAIN}"
    lines = [f"REGISTER sip:{DOMAIN} SIP/2.0", f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{call_id}x{cseq};rport",
             "Max-Forwards: 70", f"From: <{aor}>;tag={call_id}", f"To: <{aor}>", f"Call-ID: {call_id}@gen",
             f"CSeq: {cseq} REGISTER", f"Contact: <sip:{user}@127.0.0.1:{port}>", "Expires: 3600",
             "User-Agent: ucserver-loadgen"]
    if authorization is not None:
        lines.append(f"Authorization: {authorization}")
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def invite(n: int, cseq: int, branch: str, authorization: str | None = None) -> bytes:
    lines = [f"INVITE sip:bob@{DOMAIN} SIP/2.0", f"Via: SIP/2.0/UDP 127.0.0.1:{CALLER_PORT};branch={branch};rport",
             f"From: <sip:alice@{DOMAIN}>;tag=a{n}", f"To: <sip:bob@{DOMAIN}>", f"Call-ID: call{n}@bench",
             f"CSeq: {cseq} INVITE", f"Contact: <sip:alice@127.0.0.1:{CALLER_PORT}>"]
    if authorization is not None:
        lines.append(f"Proxy-Authorization: {authorization}")
    lines += ["Max-Forwards: 70", "Content-Type: application/sdp", f"Content-Length: {len(SDP)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + SDP


def in_dialog(method: str, n: int, cseq: int, branch: str, routes: list[str], to_tag: str) -> bytes:
    route_lines = "".join(f"Route: {route}\r\n" for route in routes)
    return (f"{method} sip:bob@127.0.0.1:{CALLEE_PORT} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{CALLER_PORT};branch={branch};rport\r\n{route_lines}"
            f"From: <sip:alice@{DOMAIN}>;tag=a{n}\r\nTo: <sip:bob@{DOMAIN}>;tag={to_tag}\r\n"
            f"Call-ID: call{n}@bench\r\nCSeq: {cseq} {method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode()


MESSAGE_TEXT = b"Hello, this is message %d of the benchmark.\n"


def message(n: int, cseq: int, branch: str, authorization: str | None = None) -> bytes:
    """sipp's message_auth_uac.xml: a page-mode MESSAGE from alice to bob (RFC 3428)."""
    body = MESSAGE_TEXT % n
    lines = [f"MESSAGE sip:bob@{DOMAIN} SIP/2.0", f"Via: SIP/2.0/UDP 127.0.0.1:{CALLER_PORT};branch={branch};rport",
             f"From: <sip:alice@{DOMAIN}>;tag=m{n}", f"To: <sip:bob@{DOMAIN}>", f"Call-ID: msg{n}@bench",
             f"CSeq: {cseq} MESSAGE"]
    if authorization is not None:
        lines.append(f"Proxy-Authorization: {authorization}")
    lines += ["Max-Forwards: 70", "Content-Type: text/plain", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def callee_answer(request: bytes, to_tag: str, body: bytes = b"") -> bytes:
    """The callee's 200 to a forwarded request (Via, From, To with its tag, Call-ID, CSeq,
    Record-Route copied)."""
    parsed = parse_datagram(request)
    assert parsed is not None
    lines = ["SIP/2.0 200 OK"]
    for key, name, value in parsed.headers._fields:
        if key in ("via", "from", "call-id", "cseq", "record-route"):
            lines.append(f"{name}: {value}")
        elif key == "to":
            lines.append(f"{name}: {value}" if "tag=" in value else f"{name}: {value};tag={to_tag}")
    lines.append(f"Contact: <sip:bob@127.0.0.1:{CALLEE_PORT}>")
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Harness:
    def __init__(self, server: SipServer, profile: object | None) -> None:
        self.server = server
        self.sent: list[tuple[bytes, tuple]] = []
        for endpoint in server.manager._udp.values():
            endpoint.send = lambda data, address: self.sent.append((data, address))  # type: ignore[method-assign]
        self.flow = next(iter(server.manager._udp))
        self.cpu = 0.0
        self.profile = profile

    def feed(self, data: bytes, port: int) -> list[bytes]:
        """One datagram from 127.0.0.1:port; what the server sent in answer."""
        self.sent.clear()
        started = time.thread_time()
        if self.profile is not None:
            self.profile.enable()  # type: ignore[attr-defined]
        # The UDP entry itself (what a datagram calls): ucd's C front of challenges, when it
        # has one, sees every datagram first, then TransportManager.packet_received.
        self.server.manager._udp[self.flow].datagram_received(data, ("127.0.0.1", port))
        if self.profile is not None:
            self.profile.disable()  # type: ignore[attr-defined]
        self.cpu += time.thread_time() - started
        return [data for data, _ in self.sent]

    @staticmethod
    def answer(response: bytes, header: str, user: str, password: str, method: str, uri: str) -> str:
        parsed = parse_datagram(response)
        assert parsed is not None
        challenge = DigestChallenge.parse(parsed.headers.get(header) or "")
        return str(build_credentials(challenge, user, password, method, uri, cnonce=os.urandom(8).hex()))

    def registration(self, user: str, password: str, port: int, call_id: str) -> bool:
        challenge = self.feed(register(user, port, call_id, 1), port)[-1]
        credentials = self.answer(challenge, "WWW-Authenticate", user, password, "REGISTER", f"sip:{DOMAIN}")
        return self.feed(register(user, port, call_id, 2, credentials), port)[-1].startswith(b"SIP/2.0 200")

    def call(self, n: int) -> bool:
        sent = self.feed(invite(n, 1, f"z9hG4bKi{n}a"), CALLER_PORT)
        challenge = next(d for d in sent if d.startswith(b"SIP/2.0 407"))
        parsed = parse_datagram(challenge)
        assert parsed is not None and parsed.to is not None and parsed.to.tag is not None
        ack = in_dialog("ACK", n, 1, f"z9hG4bKi{n}a", [], parsed.to.tag).replace(
            f"ACK sip:bob@127.0.0.1:{CALLEE_PORT}".encode(), f"ACK sip:bob@{DOMAIN}".encode())
        self.feed(ack, CALLER_PORT)
        credentials = self.answer(challenge, "Proxy-Authenticate", "alice", "alice-pw", "INVITE", f"sip:bob@{DOMAIN}")
        sent = self.feed(invite(n, 2, f"z9hG4bKi{n}b", credentials), CALLER_PORT)
        forwarded = next(d for d in sent if d.startswith(b"INVITE"))
        sent = self.feed(callee_answer(forwarded, f"b{n}", SDP), CALLEE_PORT)
        ok = parse_datagram(next(d for d in sent if d.startswith(b"SIP/2.0 200")))
        assert ok is not None
        routes = ok.headers.get_all("Record-Route")
        forwarded_bye = b""
        for method, cseq, branch in (("ACK", 2, f"z9hG4bKi{n}c"), ("BYE", 3, f"z9hG4bKi{n}d")):
            sent = self.feed(in_dialog(method, n, cseq, branch, routes, f"b{n}"), CALLER_PORT)
            forwarded_bye = next(d for d in sent if d.startswith(method.encode()))
        sent = self.feed(callee_answer(forwarded_bye, f"b{n}"), CALLEE_PORT)
        return any(d.startswith(b"SIP/2.0 200") for d in sent)

    def message(self, n: int) -> bool:
        """sipp's message_auth_uac.xml against message_uas.xml: MESSAGE / 407, MESSAGE with
        Proxy-Authorization forwarded to bob, bob's 200 relayed back to alice."""
        sent = self.feed(message(n, 1, f"z9hG4bKm{n}a"), CALLER_PORT)
        challenge = next(d for d in sent if d.startswith(b"SIP/2.0 407"))
        credentials = self.answer(challenge, "Proxy-Authenticate", "alice", "alice-pw", "MESSAGE", f"sip:bob@{DOMAIN}")
        sent = self.feed(message(n, 2, f"z9hG4bKm{n}b", credentials), CALLER_PORT)
        forwarded = next(d for d in sent if d.startswith(b"MESSAGE"))
        sent = self.feed(callee_answer(forwarded, f"mb{n}"), CALLEE_PORT)
        return any(d.startswith(b"SIP/2.0 200") for d in sent)


def expire_transactions(harness: Harness) -> int:
    """Run every transaction timer as if 64 s had passed (outside the loop's own timer);
    returns how many transactions ended."""
    manager = harness.server.manager
    layer = manager.layer
    before = len(layer)
    started = time.thread_time()
    if harness.profile is not None:
        harness.profile.enable()  # type: ignore[attr-defined]
    layer.handle_timer(asyncio.get_running_loop().time() + 64.0)
    manager._process()
    if harness.profile is not None:
        harness.profile.disable()  # type: ignore[attr-defined]
    harness.cpu += time.thread_time() - started
    return before - len(layer)


async def main(registrations: int, calls: int, profile_file: str | None, expire: bool = False) -> None:
    users = InMemoryUserDirectory()
    for i in range(registrations):
        users.add_user(f"u{i}", DOMAIN, f"pw{i}")
    users.add_user("alice", DOMAIN, "alice-pw")
    users.add_user("bob", DOMAIN, "bob-pw")
    with tempfile.TemporaryDirectory(prefix="sip-inprocess-") as tmp:
        config = TransportConfig(hosts=("127.0.0.1",), udp_port=0, tcp_port=None, tls_port=None,
                                 data_dir=Path(tmp), domain=DOMAIN)
        server = SipServer(config, domains=(DOMAIN,), users=users, store=InMemoryBindingStore(),
                           secret=b"inprocess-secret-0123456789abcdef", digest_algorithms=(DigestAlgorithm.MD5,))
        await server.start()
        tune_for_server()
        profile = None
        if profile_file:
            import cProfile
            profile = cProfile.Profile(time.thread_time)
        harness = Harness(server, profile)
        try:
            for round_ in ("new", "refresh"):
                harness.cpu, best, done, last = 0.0, float("inf"), 0, 0.0
                for i in range(registrations):
                    done += harness.registration(f"u{i}", f"pw{i}", 20000 + i % 20000, f"{round_}{i}")
                    if i % 250 == 249:
                        best, last = min(best, (harness.cpu - last) / 250), harness.cpu
                print(f"registrations ({round_}): {harness.cpu / max(1, registrations) * 1e6:.1f} us each, "
                      f"best 250 {best * 1e6:.1f} us ({done}/{registrations} got 200)")
            if calls:
                assert harness.registration("bob", "bob-pw", CALLEE_PORT, "bob")
                harness.cpu, best, done, last = 0.0, float("inf"), 0, 0.0
                for n in range(calls):
                    done += harness.call(n)
                    if n % 100 == 99:
                        best, last = min(best, (harness.cpu - last) / 100), harness.cpu
                if expire:
                    ended = expire_transactions(harness)
                    print(f"timers: {ended} transactions ended, {(harness.cpu - last) / max(1, ended) * 1e6:.1f} us each")
                print(f"calls: {harness.cpu / calls * 1e6:.1f} us each, best 100 {best * 1e6:.1f} us "
                      f"({done}/{calls} completed)")
        finally:
            await server.stop()
        if profile is not None and profile_file:
            profile.dump_stats(profile_file)


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    profile_out = sys.argv[sys.argv.index("--profile") + 1] if "--profile" in sys.argv else None
    if profile_out in arguments:
        arguments.remove(profile_out)
    asyncio.run(main(int(arguments[0]) if arguments else 3000, int(arguments[1]) if len(arguments) > 1 else 500,
                     profile_out, "--expire" in sys.argv))
