"""Real softphones through ucd: two baresips register (digest auth) and one calls the
other through ucd's proxy: the call is answered, audio flows both ways (RTP counted by
each side), the caller's hang-up ends it; the same after ucd restarts between REGISTER
and INVITE; linphonec registers (with the admin guide's linphonerc) and calls a baresip
user. Loopback, ephemeral ports, every wait bounded."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from peers import baresip_sip_port, linphonec_through
from ucd_harness import start_ucd

pytestmark = pytest.mark.peer
WAIT = 30.0


class Baresip:
    def __init__(self, tmp: Path, user: str, password: str, outbound: str, *, extra: str = "",
                 args: tuple[str, ...] = ()) -> None:
        binary = shutil.which("baresip")
        assert binary, "baresip is not installed (make test installs it)"
        conf = tmp / f"baresip-{user}"
        conf.mkdir()
        self.port = baresip_sip_port()
        (conf / "config").write_text(
            "module_path /usr/lib/baresip/modules\n"
            f"sip_listen 127.0.0.1:{self.port}\n"
            "module opus.so\nmodule ausine.so\nmodule aufile.so\n"
            "module_app account.so\nmodule_app menu.so\n"
            "audio_source ausine,440\naudio_player aufile,/dev/null\n"
            f"rtp_stats yes\n{extra}")
        (conf / "accounts").write_text(
            f'<sip:{user}@example.test>;auth_pass={password};outbound="sip:{outbound}";regint=600;'
            "answermode=auto;audio_codecs=opus/48000/2\n")  # ausine runs at 48 kHz only
        (conf / "contacts").write_text("")
        self.lines: list[str] = []
        self.proc = subprocess.Popen(["timeout", "60", binary, "-4", "-f", str(conf), "-n", "127.0.0.1", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def wait_for(self, text: str, timeout: float = WAIT) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return True
            if self.proc.poll() is not None and not any(text in line for line in self.lines):
                return False
            time.sleep(0.1)
        return False

    def output(self) -> str:
        return "".join(self.lines)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=WAIT)


@pytest.mark.parametrize("restart", [False, True], ids=["direct", "ucd-restarted-after-register"])
def test_two_baresips_register_and_call_through_ucd(tmp_path, restart):
    ucd = start_ucd(tmp_path)
    phones: list[Baresip] = []
    try:
        ucd.add_users("alice", "bob")
        host, port = ucd.sip_address("UDP")
        bob = Baresip(tmp_path, "bob", "bob-pw", f"{host}:{port}")
        phones.append(bob)
        assert bob.wait_for("200 OK"), bob.output()
        if restart:
            # Restart between bob's REGISTER and alice's INVITE: the persisted binding
            # still routes the call (the new ucd listens on new ephemeral ports; bob's
            # contact address is what matters, and alice registers to the new one). SIGTERM
            # writes the queued binding to the store before ucd exits.
            assert ucd.stop() == 0, ucd.output()
            ucd = start_ucd(tmp_path, name="restarted.toml")
            host, port = ucd.sip_address("UDP")
        alice = Baresip(tmp_path, "alice", "alice-pw", f"{host}:{port}",
                        args=("-e", "/dial sip:bob@example.test", "-t", "12"))
        phones.append(alice)
        assert alice.wait_for("200 OK"), alice.output()
        registered = {b["aor"] for b in json.loads(ucd.ucctl("registrations", "--json").stdout)}
        # (after a restart bob's binding is the one read back from the store)
        assert registered == {"sip:alice@example.test", "sip:bob@example.test"}

        assert bob.wait_for("Call established"), bob.output() + ucd.output()
        assert alice.wait_for("Call established"), alice.output()
        alice.proc.wait(timeout=WAIT)   # -t 12: alice quits, hanging up (BYE)
        assert bob.wait_for("terminated (duration"), bob.output()
        metrics = ucd.metrics()
        # INVITE and BYE both went through ucd's proxy and were answered 2xx.
        for method in ("INVITE", "BYE"):
            assert re.search(rf'^ucd_sip_transactions_total{{class="2xx",method="{method}",role="server"}} 1\.0$',
                             metrics, re.MULTILINE), metrics
    finally:
        for phone in phones:
            phone.stop()
        assert ucd.stop() == 0, ucd.output()
    # baresip's end-of-call statistics: audio packets sent and received on both sides.
    for phone in phones:
        found = re.search(r"^packets:\s+(\d+)\s+(\d+)", phone.output(), re.MULTILINE)
        assert found, phone.output()
        sent, received = int(found.group(1)), int(found.group(2))
        assert sent > 50 and received > 50, found.group(0)


def test_linphonec_registers_and_calls_a_baresip_user_through_ucd(tmp_path):
    ucd = start_ucd(tmp_path)
    phones: list[Baresip] = []
    linphone = None
    try:
        ucd.add_users("bob", "carol")
        host, port = ucd.sip_address("UDP")
        bob = Baresip(tmp_path, "bob", "bob-pw", f"{host}:{port}")
        phones.append(bob)
        assert bob.wait_for("200 OK"), bob.output()

        # The admin guide's linphonerc: reg_route makes calls go through ucd (linphonec's
        # interactive `register` sets no route, and then a call resolves example.test in DNS).
        linphone = linphonec_through((host, port), "carol", "carol-pw", tmp_path, "soundcard use files", output=True)
        assert linphone.stdin is not None
        registered: set[str] = set()
        deadline = time.monotonic() + WAIT
        while "sip:carol@example.test" not in registered and time.monotonic() < deadline:
            registered = {b["aor"] for b in json.loads(ucd.ucctl("registrations", "--json").stdout)}
            time.sleep(0.2)
        assert "sip:carol@example.test" in registered, ucd.output()
        agents = {b["aor"]: b["user_agent"] for b in json.loads(ucd.ucctl("registrations", "--json").stdout)}
        assert "inphone" in agents["sip:carol@example.test"]   # Linphone / liblinphone

        linphone.stdin.write("call sip:bob@example.test\n")
        linphone.stdin.flush()
        assert bob.wait_for("Call established: sip:carol@example.test"), bob.output() + ucd.metrics()
        linphone.stdin.write("terminate\n")
        linphone.stdin.flush()
        # baresip reports the BYE it received as "session closed: Connection reset by peer".
        assert bob.wait_for("sip:carol@example.test: session closed"), bob.output() + ucd.metrics()
        metrics = ucd.metrics()
        for method in ("INVITE", "BYE"):
            assert re.search(rf'^ucd_sip_transactions_total{{class="2xx",method="{method}",role="server"}} 1\.0$',
                             metrics, re.MULTILINE), metrics
        linphone.stdin.write("quit\n")
        linphone.stdin.flush()
        linphone.wait(timeout=WAIT)
    finally:
        if linphone is not None and linphone.poll() is None:
            linphone.terminate()
            linphone.wait(timeout=WAIT)
        for phone in phones:
            phone.stop()
        assert ucd.stop() == 0, ucd.output()
