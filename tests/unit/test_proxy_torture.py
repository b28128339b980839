"""RFC 4475 torture messages fed to the proxy core through the transaction layer over a
UDP-like path (no sockets): each gets the answer of the manifest's `server_should`
column, and the core keeps serving afterwards.

The server is the registrar and proxy for example.com, with `user@example.com`
registered by an in-memory UA that answers as a UAS would (OPTIONS 200, INVITE with an
unknown body 415 with Accept, with an unacceptable Accept 406, else 486). Where the
server challenges (REGISTER 401, a request from a local user 407) and the manifest
expects more than the challenge, the test answers the challenge with the credentials of
that user, as a UA would, and checks the answer to the authenticated request.

The corpus is found at $UC_SHARED_DIR/corpus/rfc4475 or <repo>/../shared/corpus/rfc4475;
a missing corpus FAILS (test_sip_torture.py checks it is complete).
"""

from __future__ import annotations

import pytest
from corpus import judge_server_answer, rfc4475_dir, rfc4475_manifest, rfc4475_message, torture_uas_answer

from uc_signal.sip import (DigestClient, ParseError, Request, RequestReceived, Response, SipUri, Via, make_ack,
                           parse_datagram)
from uc_signal.sip.derived_requests import new_branch
from uc_signal.transport.peer import Peer

from proxy_network import DOMAIN, Network

TESTER = Peer("192.0.2.200", 5060, "UDP", "udp0")
PASSWORD = "torture-pw"


ROWS = rfc4475_manifest()


def test_corpus_is_present() -> None:
    # Fail, never skip: without the corpus the tests below would silently vanish.
    assert len(ROWS) == 49, f"RFC 4475 corpus not found at {rfc4475_dir()}; set UC_SHARED_DIR"


def uas_answer(event: RequestReceived) -> tuple[int, list[tuple[str, str]]] | None:
    return torture_uas_answer(event.request)


class TortureServer:
    def __init__(self) -> None:
        self.net = Network()
        ua = self.net.agent("user", "192.0.2.20")
        assert ua.register().status == 200
        ua.autoanswer = uas_answer
        self.received = self.net.sinks.setdefault(TESTER.host, [])
        self.probe_seq = 0

    def feed(self, data: bytes) -> list[Response]:
        """Send `data` from the tester; return the final responses to it (a final to an
        INVITE is ACKed, as the tester's client transaction would, 17.1.1.3)."""
        start = len(self.received)
        self.net.proxy_receive(data, TESTER)
        self.net.run()
        finals = []
        for raw in dict.fromkeys(self.received[start:]):
            message = parse_datagram(raw)
            if isinstance(message, Response) and message.status >= 200:
                finals.append(message)
        try:
            request = parse_datagram(data)
        except ParseError:
            return finals
        for response in finals:
            if isinstance(request, Request) and request.method == "INVITE" and response.status >= 300:
                try:
                    ack = make_ack(request, response)
                except ValueError:
                    continue  # insuf.dat: no From to build the ACK from
                self.net.proxy_receive(bytes(ack), TESTER)
        self.net.run()
        return finals

    def retry_with_credentials(self, data: bytes, challenge: Response) -> list[Response]:
        """Answer a 401/407 as the challenged user would: same request, new branch, CSeq
        + 1, credentials for the To user (401) or the From user (407)."""
        request = parse_datagram(data)  # dblreq.dat: only the first request
        assert isinstance(request, Request)
        header, answer = (("WWW-Authenticate", "Authorization") if challenge.status == 401
                          else ("Proxy-Authenticate", "Proxy-Authorization"))
        who = request.to if challenge.status == 401 else request.from_
        assert who is not None and isinstance(who.uri, SipUri) and who.uri.user
        self.net.users.add_user(who.uri.user, DOMAIN, PASSWORD)
        client = DigestClient(who.uri.user, PASSWORD)
        value = challenge.headers.get_all(header)[-1]
        request.headers.add(answer, client.authorize(value, request.method, request.uri_text))
        top = request.top_via
        assert top is not None and request.cseq is not None
        request.headers.pop_first("Via")
        params = {k: v for k, v in top.params.items() if k not in ("branch", "received", "rport")}
        params["branch"] = new_branch()
        request.headers.prepend("Via", str(Via(top.transport, top.host, top.port, params)))
        request.headers.set("CSeq", f"{request.cseq.seq + 1} {request.cseq.method}")
        return self.feed(bytes(request))

    def still_serving(self) -> bool:
        self.probe_seq += 1
        probe = (f"OPTIONS sip:user@{DOMAIN} SIP/2.0\r\n"
                 f"Via: SIP/2.0/UDP {TESTER.host}:{TESTER.port};branch={new_branch()}\r\n"
                 "Max-Forwards: 70\r\nFrom: <sip:probe@example.net>;tag=p\r\n"
                 f"To: <sip:user@{DOMAIN}>\r\nCall-ID: probe-{self.probe_seq}\r\n"
                 f"CSeq: {self.probe_seq} OPTIONS\r\nContent-Length: 0\r\n\r\n")
        finals = self.feed(probe.encode())
        return [r.status for r in finals] == [200]


def judge(server: TortureServer, row: dict[str, str]) -> str | None:
    return judge_server_answer(row, rfc4475_message(row["file"]), server.feed, server.retry_with_credentials)


@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_server_should(row: dict[str, str]) -> None:
    server = TortureServer()
    problem = judge(server, row)
    assert problem is None, f"{row['file']} ({row['server_should']}): {problem}"
    assert server.still_serving()


def test_registrations_bind_the_contact_as_written() -> None:
    server = TortureServer()
    for name in ("cparam01.dat", "cparam02.dat", "regescrt.dat"):
        row = next(r for r in ROWS if r["file"] == name)
        assert judge(server, row) is None
        server.net.advance(40, step=4)  # the corpus reuses branches: let transactions end
    location = server.net.services.location
    watson = [b.contact for b in location.lookup(f"sip:watson@{DOMAIN}", server.net.now)]
    # cparam01: ";unknownparam" is a Contact header parameter (not in the URI);
    # cparam02: in angle brackets it is a URI parameter and stays in the bound URI.
    assert "sip:+19725552222@gw1.example.net;unknownparam" in watson
    [bound] = [b for b in location.lookup(f"sip:watson@{DOMAIN}", server.net.now)
               if b.contact == "sip:+19725552222@gw1.example.net"]
    assert ("unknownparam", None) in bound.params
    user = [b.contact for b in location.lookup(f"sip:user@{DOMAIN}", server.net.now)]
    assert "sip:user@example.com?Route=%3Csip:sip.example.com%3E" in user


def test_the_whole_corpus_through_one_server() -> None:
    server = TortureServer()
    problems = {}
    for row in ROWS:
        problem = judge(server, row)
        if problem is not None:
            problems[row["file"]] = problem
        if not server.still_serving():
            problems[row["file"] + " (afterwards)"] = "the probe OPTIONS was not answered 200"
        # The corpus reuses branch values (z9hG4bKkdjuw...): within 32 s the next file
        # would rightly be taken for a retransmission (17.2.3). Let transactions end.
        server.net.advance(40, step=4)
    assert problems == {}
