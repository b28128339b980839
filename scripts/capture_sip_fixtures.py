#!/usr/bin/env python3
"""Recreate tests/fixtures/sip/*.sip: what real SIP peers send, captured on loopback.

A small UDP listener (built on uc_signal.sip) answers like a registrar and a busy UAS:
REGISTER without credentials gets a digest challenge, with credentials 200; INVITE gets
100 then 486 (so the peer sends ACK); everything else gets 200. sipp (three scenarios),
baresip and linphonec are pointed at it in turn; the first datagram of each kind (peer,
method, with or without credentials) is saved byte-exact, then invalid and truncated
variants are derived from some of them.

Run from the repository root:  .venv/bin/python scripts/capture_sip_fixtures.py
Every peer runs under `timeout`; the whole run takes about a minute.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # tests/peers.py

from peers import DatagramThread, baresip_config, linphone_env, linphone_rc, missing, run_linphonec, run_timed  # noqa: E402,E501

from uc_signal.sip import ParseError, Request, make_response, parse_datagram  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "sip"
HOST = "127.0.0.1"
PORT = 15060
REALM = "127.0.0.1"
PASSWORD = "secret"


class Listener(DatagramThread):
    """Receives datagrams on HOST:PORT, records them under the current peer label, answers."""

    def __init__(self) -> None:
        super().__init__(HOST, PORT)
        self.label = "none"
        self.captured: dict[str, bytes] = {}

    def handle(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            msg = parse_datagram(data)
        except ParseError as exc:
            print(f"  [{self.label}] unparseable datagram: {exc}", file=sys.stderr)
            return
        if not isinstance(msg, Request):
            return
        auth = "_auth" if ("authorization" in msg.headers or "proxy-authorization" in msg.headers) else ""
        name = f"{self.label}_{msg.method.lower()}{auth}"
        if name not in self.captured:
            self.captured[name] = data
            print(f"  captured {name} ({len(data)} octets)")
        for reply in self.answer(msg):
            self.sock.sendto(bytes(reply), addr)

    def answer(self, req: Request) -> list:
        tag = hashlib.sha1((req.call_id or "").encode()).hexdigest()[:10]
        if req.method == "ACK":
            return []
        if req.method == "REGISTER" and "authorization" not in req.headers:
            resp = make_response(req, 401, to_tag=tag)
            nonce = hashlib.md5(f"{time.time()}".encode()).hexdigest()
            resp.headers.add("WWW-Authenticate",
                             f'Digest realm="{REALM}", nonce="{nonce}", algorithm=MD5, qop="auth"')
            return [resp]
        if req.method == "REGISTER":
            resp = make_response(req, 200, to_tag=tag)
            for value in req.headers.get_all("Contact"):
                resp.headers.add("Contact", value + ";expires=60" if "expires" not in value else value)
            return [resp]
        if req.method == "INVITE":
            return [make_response(req, 100), make_response(req, 486, to_tag=tag)]
        resp = make_response(req, 200, to_tag=tag)
        if req.method == "SUBSCRIBE":
            resp.headers.add("Expires", req.headers.get("Expires", "60"))
        return [resp]


SIPP_HEAD = """      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:alice@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
      Call-ID: [call_id]
      Max-Forwards: 70
      User-Agent: sipp
"""

SIPP_SCENARIOS = {
    "register": f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register with digest">
  <send retrans="500"><![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
{SIPP_HEAD}      To: <sip:alice@[remote_ip]>
      CSeq: 1 REGISTER
      Contact: <sip:alice@[local_ip]:[local_port]>;expires=3600
      Expires: 3600
      Content-Length: 0
  ]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
{SIPP_HEAD}      To: <sip:alice@[remote_ip]>
      CSeq: 2 REGISTER
      Contact: <sip:alice@[local_ip]:[local_port]>;expires=3600
      Expires: 3600
      [authentication]
      Content-Length: 0
  ]]></send>
  <recv response="200"/>
</scenario>
""",
    "invite": f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="invite refused">
  <send retrans="500"><![CDATA[
      INVITE sip:bob@[remote_ip]:[remote_port] SIP/2.0
{SIPP_HEAD}      To: <sip:bob@[remote_ip]:[remote_port]>
      CSeq: 1 INVITE
      Contact: <sip:alice@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 8 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:8 PCMA/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="486"/>
  <send><![CDATA[
      ACK sip:bob@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:alice@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
  ]]></send>
</scenario>
""",
    "notify": f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="presence notify">
  <send retrans="500"><![CDATA[
      SUBSCRIBE sip:bob@[remote_ip]:[remote_port] SIP/2.0
{SIPP_HEAD}      To: <sip:bob@[remote_ip]>
      CSeq: 1 SUBSCRIBE
      Contact: <sip:alice@[local_ip]:[local_port]>
      Event: presence
      Accept: application/pidf+xml
      Supported: eventlist
      Expires: 600
      Content-Length: 0
  ]]></send>
  <recv response="200"/>
  <send retrans="500"><![CDATA[
      NOTIFY sip:bob@[remote_ip]:[remote_port] SIP/2.0
{SIPP_HEAD}      To: <sip:bob@[remote_ip]>
      CSeq: 2 NOTIFY
      Contact: <sip:alice@[local_ip]:[local_port]>
      Event: presence;id=7
      Subscription-State: active;expires=599
      Content-Type: application/pidf+xml
      Content-Length: [len]

      <?xml version="1.0" encoding="UTF-8"?>
      <presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:alice@[remote_ip]">
        <tuple id="t1"><status><basic>open</basic></status><contact>sip:alice@[local_ip]</contact></tuple>
      </presence>
  ]]></send>
  <recv response="200"/>
</scenario>
""",
}


def capture_sipp(listener: Listener, tmp: Path) -> None:
    for name, xml in SIPP_SCENARIOS.items():
        path = tmp / f"{name}.xml"
        path.write_text(xml)
        listener.label = "sipp"
        run_timed(["sipp", f"{HOST}:{PORT}", "-sf", str(path), "-m", "1", "-i", HOST, "-p", "15070",
             "-mp", "16000", "-au", "alice", "-ap", PASSWORD, "-timeout", "10", "-nostdin"],
            15, cwd=str(tmp))


def capture_baresip(listener: Listener, tmp: Path) -> None:
    conf = baresip_config(tmp / "baresip", 15080,
                          f"<sip:alice@{HOST}:{PORT}>;auth_pass={PASSWORD};regint=60;audio_codecs=PCMU/8000/1",
                          modules=("g711.so", "ausine.so", "aufile.so", "presence.so"), host=HOST)
    listener.label = "baresip"
    run_timed(["baresip", "-4", "-f", str(conf), "-n", HOST, "-e", f"/dial sip:bob@{HOST}:{PORT}", "-t", "6"], 12)


def capture_linphone(listener: Listener, tmp: Path) -> None:
    rc = linphone_rc(tmp / "linphonerc", 15090, 16100, host=HOST)
    env = linphone_env(tmp / "linphone-home", os.environ)
    listener.label = "linphone"
    commands = [f"register sip:alice@{HOST} sip:{HOST}:{PORT} {PASSWORD}",
                f'chat sip:bob@{HOST}:{PORT} "hello from linphone"',
                f"call sip:bob@{HOST}:{PORT}", "terminate", "quit"]
    # Paced so each command completes before the next.
    run_linphonec(rc, [(line, 3) for line in commands], 30, cwd=tmp, env=env)


def derive_variants(captured: dict[str, bytes]) -> dict[str, bytes]:
    """Broken copies of real messages: `_truncated` (cut short: Content-Length larger than
    what arrived, or no end of header block) and `_invalid` (one grammar error each)."""
    out: dict[str, bytes] = {}
    for name, data in captured.items():
        head, _, body = data.partition(b"\r\n\r\n")
        if body:
            out[f"{name}_truncated"] = data[:len(data) - len(body) // 2]
        elif name.endswith("register") or name.endswith("register_auth"):
            out[f"{name}_truncated"] = head[: len(head) * 2 // 3]
        if "invite" in name or "register" in name:
            lines = head.split(b"\r\n")
            broken = [line.replace(b" SIP/2.0", b" SIP/3.0") if i == 0 else line for i, line in enumerate(lines)]
            out[f"{name}_invalid_version"] = b"\r\n".join(broken) + b"\r\n\r\n" + body
            broken = [b"CSeq: 99999999999 " + line.split()[-1] if line.lower().startswith(b"cseq:") else line
                      for line in lines]
            out[f"{name}_invalid_cseq"] = b"\r\n".join(broken) + b"\r\n\r\n" + body
    return out


def main() -> int:
    for tool in missing("sipp", "baresip", "linphonec", "timeout"):
        print(f"{tool} not found (make test installs the peers)", file=sys.stderr)
        return 1
    listener = Listener()
    listener.start()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for capture in (capture_sipp, capture_baresip, capture_linphone):
            print(capture.__name__)
            capture(listener, tmp)
            time.sleep(0.5)
    listener.close()
    if not listener.captured:
        print("nothing captured", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    everything = dict(listener.captured)
    everything.update(derive_variants(listener.captured))
    for name, data in sorted(everything.items()):
        (OUT / f"{name}.sip").write_bytes(data)
    print(f"wrote {len(everything)} fixtures to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
