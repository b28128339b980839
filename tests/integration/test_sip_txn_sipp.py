"""The transaction layer, dialogs and digest auth against real peers on loopback UDP.

A test-only UDP loop (select + the sans-IO TransactionLayer, time.monotonic() as `now`)
plays registrar and UAS. sipp plays the UAC: digest-challenged REGISTERs (MD5, right and
wrong password; sipp 3.6 computes MD5 only) and its built-in `uac` call scenario
(INVITE / 200 / ACK / BYE / 200). linphonec registers against a SHA-256-only challenge.
The peers must be installed (`make test` installs them): a missing one fails its test.
"""

from __future__ import annotations

import select
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from peers import free_port, linphone_env, linphone_ports, linphone_rc, require, sipp_media_port

from uc_signal.sip.dialog import Dialog, DialogError, DialogTable
from uc_signal.sip.digest import DigestAlgorithm, DigestAuthenticator, DigestError, InMemoryCredentials
from uc_signal.sip.message import Request, Response, make_response
from uc_signal.sip.transaction_events import RequestReceived
from uc_signal.sip.transaction_layer import TransactionLayer

pytestmark = pytest.mark.peer

REGISTER_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="challenged REGISTER">
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:alice@[remote_ip]>;tag=[call_number]
To: <sip:alice@[remote_ip]>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:alice@[local_ip]:[local_port]>
Max-Forwards: 70
Expires: 60
Content-Length: 0

]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:alice@[remote_ip]>;tag=[call_number]
To: <sip:alice@[remote_ip]>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:alice@[local_ip]:[local_port]>
[authentication]
Max-Forwards: 70
Expires: 60
Content-Length: 0

]]></send>
  <recv response="200"/>
</scenario>
"""


class LoopbackServer:
    """Registrar + auto-answering UAS over one UDP socket, driven by the sans-IO layer."""

    def __init__(self, authenticator: DigestAuthenticator | None = None) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.layer = TransactionLayer()
        self.dialogs = DialogTable()
        self.authenticator = authenticator
        self.auth_results: Counter[DigestError | None] = Counter()
        self.methods: Counter[str] = Counter()
        self.ended_dialogs = 0
        self._tags = 0

    def close(self) -> None:
        self.sock.close()

    def run_until_exit(self, proc: subprocess.Popen[bytes], limit: float) -> None:
        self.run(lambda now: proc.poll() is not None, limit)

    def run(self, done: Callable[[float], bool], limit: float) -> None:
        """Serve until `done(now)` is true or `limit` seconds have passed."""
        deadline = time.monotonic() + limit
        while not done(time.monotonic()) and time.monotonic() < deadline:
            now = time.monotonic()
            timer = self.layer.get_timer()
            wait = 0.05 if timer is None else min(0.05, max(0.0, timer - now))
            readable, _, _ = select.select([self.sock], [], [], wait)
            now = time.monotonic()
            if readable:
                data, addr = self.sock.recvfrom(65535)
                self.layer.receive(data, addr, now)
            self.layer.handle_timer(now)
            for event in iter(self.layer.next_event, None):
                if isinstance(event, RequestReceived):
                    self._on_request(event, now)
            for data, addr in self.layer.datagrams_to_send(now):
                self.sock.sendto(data, addr)

    def _tag(self) -> str:
        self._tags += 1
        return f"uas{self._tags}"

    def _reply(self, request: Request, status: int, **headers: str) -> Response:
        response = make_response(request, status, to_tag=self._tag())
        for name, value in headers.items():
            response.headers.add(name.replace("_", "-"), value)
        response.headers.set("Content-Length", "0")
        return response

    def _on_request(self, event: RequestReceived, now: float) -> None:
        request = event.request
        self.methods[request.method] += 1
        dialog = self.dialogs.match_request(request)
        if event.transaction is None:  # the ACK for our 2xx
            if isinstance(dialog, Dialog):
                dialog.receive_request(request)
            return
        if request.method == "REGISTER" and self.authenticator is not None:
            verdict = self.authenticator.verify_request(request, now)
            self.auth_results[verdict.error] += 1
            if verdict.error is not None:
                response = self.authenticator.rejection(request, verdict.error, now, to_tag=self._tag())
            else:
                response = self._reply(request, 200, Contact=request.headers.get("Contact") or "")
        elif request.method == "INVITE" and dialog is None:
            response = self._reply(request, 200, Contact=f"<sip:uas@127.0.0.1:{self.port}>")
            new = Dialog.for_uas(request, response)
            new.sent_response(response)
            self.dialogs.add(new)
        elif isinstance(dialog, Dialog):
            error = dialog.receive_request(request)
            response = self._reply(request, 500 if error is DialogError.CSEQ_OUT_OF_ORDER else 200)
            if request.method == "BYE":
                self.dialogs.remove(dialog)
                self.ended_dialogs += 1
        else:
            response = self._reply(request, 481 if dialog is DialogError.DOES_NOT_EXIST else 200)
        self.layer.send_response(response, now)


def _run_sipp(server: LoopbackServer, tmp_path: Path, args: list[str], calls: int) -> subprocess.CompletedProcess[bytes]:
    sipp = require("sipp")
    command = [
        sipp, f"127.0.0.1:{server.port}", "-i", "127.0.0.1", "-p", str(free_port()),
        "-mp", str(sipp_media_port()), "-m", str(calls), "-r", "10", "-nostdin",
        "-timeout", "20s", "-timeout_error", "-max_retrans", "3", *args,
    ]
    proc = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        server.run_until_exit(proc, 30.0)
    finally:
        if proc.poll() is None:
            proc.kill()
        out, _ = proc.communicate(timeout=10)
    return subprocess.CompletedProcess(command, proc.returncode, out)


def test_sipp_register_with_digest(tmp_path: Path) -> None:
    store = InMemoryCredentials()
    store.add_password("alice", "127.0.0.1", "secret")
    authenticator = DigestAuthenticator("127.0.0.1", b"integration-secret-0123", store,
                                        algorithms=(DigestAlgorithm.MD5,))
    server = LoopbackServer(authenticator)
    (tmp_path / "register.xml").write_text(REGISTER_SCENARIO)
    try:
        result = _run_sipp(server, tmp_path, ["-sf", "register.xml", "-au", "alice", "-ap", "secret"], calls=4)
    finally:
        server.close()
    assert result.returncode == 0, result.stdout.decode(errors="replace")[-3000:]
    assert server.auth_results[DigestError.MISSING_CREDENTIALS] == 4
    assert server.auth_results[None] == 4


def test_sipp_register_with_wrong_password_is_refused(tmp_path: Path) -> None:
    store = InMemoryCredentials()
    store.add_password("alice", "127.0.0.1", "secret")
    server = LoopbackServer(DigestAuthenticator("127.0.0.1", b"integration-secret-0123", store,
                                                algorithms=(DigestAlgorithm.MD5,)))
    (tmp_path / "register.xml").write_text(REGISTER_SCENARIO)
    try:
        result = _run_sipp(server, tmp_path, ["-sf", "register.xml", "-au", "alice", "-ap", "wrong"], calls=2)
    finally:
        server.close()
    assert result.returncode != 0  # sipp expected a 200 and got 403
    assert server.auth_results[DigestError.WRONG_RESPONSE] == 2 and server.auth_results[None] == 0


def test_sipp_uac_calls_through_transactions_and_dialogs(tmp_path: Path) -> None:
    server = LoopbackServer()
    try:
        result = _run_sipp(server, tmp_path, ["-sn", "uac", "-d", "100"], calls=5)
    finally:
        server.close()
    assert result.returncode == 0, result.stdout.decode(errors="replace")[-3000:]
    assert server.methods["INVITE"] == 5 and server.methods["BYE"] == 5
    assert server.methods["ACK"] == 5  # each 2xx ACKed once: the 2xx was not retransmitted past it
    assert server.ended_dialogs == 5 and len(server.dialogs) == 0


def test_linphone_registers_with_sha256(tmp_path: Path) -> None:
    linphonec = require("linphonec")
    store = InMemoryCredentials()
    store.add_password("alice", "127.0.0.1", "secret")
    server = LoopbackServer(DigestAuthenticator("127.0.0.1", b"integration-secret-0123", store,
                                                algorithms=(DigestAlgorithm.SHA_256,)))
    rc = linphone_rc(tmp_path / "linphonerc", *linphone_ports())
    env = linphone_env(tmp_path / "home")
    proc = subprocess.Popen([linphonec, "-c", str(rc), "-d", "0"], cwd=tmp_path, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert proc.stdin is not None
    started = time.monotonic()
    sent = False

    def registered(now: float) -> bool:
        nonlocal sent
        if not sent and now - started > 2.0:  # linphonec drops commands typed before it is up
            assert proc.stdin is not None
            proc.stdin.write(f"register sip:alice@127.0.0.1 sip:127.0.0.1:{server.port} secret\n".encode())
            proc.stdin.flush()
            sent = True
        return server.auth_results[None] >= 1 or proc.poll() is not None

    try:
        server.run(registered, 25.0)
    finally:
        try:
            proc.stdin.write(b"quit\n")
            proc.stdin.close()
            proc.wait(timeout=5)
        except (BrokenPipeError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait(timeout=5)
        server.close()
    assert server.auth_results[DigestError.MISSING_CREDENTIALS] >= 1
    assert server.auth_results[None] >= 1, dict(server.auth_results)
