"""The stateful proxy over in-memory UAs and transaction layers (no sockets, hand-run
clock): forking and CANCEL of the losing branch, q groups, best-response selection,
482/483/420/404/480/407, in-dialog BYE along Record-Route, CANCEL from upstream,
Timer C, and the application chain."""

from __future__ import annotations

from uc_signal.application import RequestContext
from uc_signal.proxy import best_response, prepare_upstream
from uc_signal.sip import Request, Response, parse_message
from uc_signal.sip.derived_requests import new_branch

from proxy_network import DOMAIN, PROXY, Network, UserAgent

BOB = f"sip:bob@{DOMAIN}"


def authenticated_invite(net: Network, caller: UserAgent, target: str, *, extra: str = "") -> Request:
    """INVITE `target`, answer the 407 with the caller's credentials; return the INVITE
    that went out the second time."""
    first = caller.request("INVITE", target, extra=extra)
    caller.send(first)
    net.run()
    challenge = caller.final("INVITE")
    assert challenge.status == 407, challenge
    value = challenge.headers.get_all("Proxy-Authenticate")[-1]
    auth = caller.digest.authorize(value, "INVITE", target)
    second = caller.request("INVITE", target, extra=extra + f"Proxy-Authorization: {auth}\r\n")
    caller.send(second)
    net.run()
    return second


def two_bobs(net: Network, q1: str = "", q2: str = "") -> tuple[UserAgent, UserAgent]:
    bob1 = net.agent("bob", "192.0.2.20")
    bob2 = net.agent("bob", "192.0.2.21")
    assert bob1.register(contact_params=q1).status == 200
    assert bob2.register(contact_params=q2).status == 200
    return bob1, bob2


def test_fork_to_two_contacts_second_answers_and_first_is_cancelled() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    bob1, bob2 = two_bobs(net)
    authenticated_invite(net, alice, BOB)
    [in1], [in2] = bob1.requests("INVITE"), bob2.requests("INVITE")
    assert in1.request.uri_text == bob1.contact and in2.request.uri_text == bob2.contact
    assert in1.request.max_forwards == 69
    assert in1.request.headers.get("Record-Route") == "<sip:192.0.2.1:5060;transport=udp;lr>"
    assert "Proxy-Authorization" not in in1.request.headers  # consumed by the proxy (22.3)
    bob1.answer(in1, 180)
    net.run()
    assert [r.status for r in alice.responses("INVITE")][-1] == 180
    bob2.answer(in2, 200)
    net.run()
    assert alice.final("INVITE").status == 200
    assert len(alice.final("INVITE").via) == 1  # the proxy's own Via came off
    [cancel] = bob1.requests("CANCEL")
    assert cancel.cancels == in1.transaction
    assert cancel.request.headers.get("Reason") == 'SIP;cause=200;text="Call completed elsewhere"'
    bob1.answer(cancel, 200)
    bob1.answer(in1, 487)
    net.run()
    assert [r.status for r in alice.responses("INVITE") if r.status >= 200 and r.status != 407] == [200]
    assert bob2.requests("CANCEL") == []
    net.advance(40, step=4)  # every transaction ends (Timers D, K, L, M...)
    assert (net.core.router.pending, net.core.router.open_branches) == (0, 0)


def test_q_groups_are_tried_highest_first() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    bob1, bob2 = two_bobs(net, ";q=1.0", ";q=0.5")
    authenticated_invite(net, alice, BOB)
    [in1] = bob1.requests("INVITE")
    assert bob2.requests("INVITE") == []
    bob1.answer(in1, 486)
    net.run()
    [in2] = bob2.requests("INVITE")
    bob2.answer(in2, 480)
    net.run()
    assert alice.final("INVITE").status == 486  # same class: the first one received


def test_six_hundred_cancels_the_others_and_wins() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    bob1, bob2 = two_bobs(net)
    authenticated_invite(net, alice, BOB)
    [in1], [in2] = bob1.requests("INVITE"), bob2.requests("INVITE")
    bob2.answer(in2, 180)
    bob1.answer(in1, 603)
    net.run()
    [cancel] = bob2.requests("CANCEL")
    assert [r.status for r in alice.responses("INVITE") if r.status >= 200 and r.status != 407] == []  # waits
    bob2.answer(cancel, 200)
    bob2.answer(in2, 487)
    net.run()
    assert alice.final("INVITE").status == 603


def test_best_response_table() -> None:
    def r(status: int, *headers: tuple[str, str]) -> Response:
        response = Response(status, headers=list(headers))
        return response

    assert best_response([]) is None
    assert best_response([r(486), r(603), r(302)]).status == 603  # type: ignore[union-attr]
    assert best_response([r(486), r(503), r(302)]).status == 302  # type: ignore[union-attr]
    assert best_response([r(486), r(404), r(503)]).status == 486  # type: ignore[union-attr]
    assert best_response([r(486), r(407), r(404)]).status == 407  # type: ignore[union-attr]
    assert best_response([r(480), r(408)]).status == 480  # type: ignore[union-attr]
    assert best_response([r(500), r(503)]).status == 500  # type: ignore[union-attr]
    chosen = prepare_upstream(r(503, ("Retry-After", "5")), [])
    assert (chosen.status, "Retry-After" in chosen.headers) == (500, False)  # 16.7 item 6
    a = r(401, ("WWW-Authenticate", 'Digest realm="a", nonce="1"'))
    b = r(407, ("Proxy-Authenticate", 'Digest realm="b", nonce="2"'))
    c = r(401, ("WWW-Authenticate", 'Digest realm="c", nonce="3"'))
    merged = prepare_upstream(best_response([a, b, c]), [a, b, c])  # type: ignore[arg-type]
    assert merged.status == 401
    assert merged.headers.get_all("WWW-Authenticate") == ['Digest realm="a", nonce="1"', 'Digest realm="c", nonce="3"']
    assert merged.headers.get_all("Proxy-Authenticate") == ['Digest realm="b", nonce="2"']


def test_unknown_user_404_unregistered_480() -> None:
    net = Network()
    carol = net.agent("carol", "192.0.2.30", user=False)
    net.users.add_user("dave", DOMAIN, "pw")
    for target, status in ((f"sip:nobody@{DOMAIN}", 404), (f"sip:dave@{DOMAIN}", 480)):
        request = carol.request("OPTIONS", target)
        request.headers.set("From", "<sip:carol@example.net>;tag=c1")
        carol.send(request)
        net.run()
        assert carol.final("OPTIONS").status == status


def test_local_caller_is_challenged_407_and_wrong_user_is_403() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    net.agent("bob", "192.0.2.20").register()
    alice.send(alice.request("INVITE", BOB))
    net.run()
    challenge = alice.final("INVITE")
    assert challenge.status == 407
    assert challenge.headers.get_all("Proxy-Authenticate")
    # Alice's credentials on a request whose From claims to be bob.
    auth = alice.digest.authorize(challenge.headers.get_all("Proxy-Authenticate")[-1], "INVITE", BOB)
    alice.send(alice.request("INVITE", BOB, from_user="bob", extra=f"Proxy-Authorization: {auth}\r\n"))
    net.run()
    assert alice.final("INVITE").status == 403


def test_max_forwards_zero_is_483_and_proxy_require_is_420() -> None:
    net = Network()
    carol = net.agent("carol", "192.0.2.30", user=False)
    net.agent("bob", "192.0.2.20").register()
    request = carol.request("OPTIONS", BOB)
    request.headers.set("From", "<sip:carol@example.net>;tag=c1")
    request.headers.set("Max-Forwards", "0")
    carol.send(request)
    net.run()
    assert carol.final("OPTIONS").status == 483
    request = carol.request("OPTIONS", BOB, extra="Proxy-Require: foo, bar\r\n")
    request.headers.set("From", "<sip:carol@example.net>;tag=c1")
    carol.send(request)
    net.run()
    response = carol.final("OPTIONS")
    assert response.status == 420
    assert response.headers.get("Unsupported") == "foo, bar"


def test_a_contact_pointing_back_at_the_proxy_is_a_loop_482() -> None:
    net = Network()
    bob = net.agent("bob", "192.0.2.20")
    assert bob.register(contact=f"sip:bob@{PROXY.host}:{PROXY.port}").status == 200
    carol = net.agent("carol", "192.0.2.30", user=False)
    request = carol.request("OPTIONS", BOB)
    request.headers.set("From", "<sip:carol@example.net>;tag=c1")
    carol.send(request)
    net.run()
    assert carol.final("OPTIONS").status == 482
    # It spiralled once (a new Request-URI is a new request), then looped back unchanged.
    assert len(net.sent_by_proxy(f"OPTIONS sip:bob@{PROXY.host}:{PROXY.port} ")) == 2


def test_in_dialog_bye_follows_record_route() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    bob = net.agent("bob", "192.0.2.20")
    bob.register()
    invite = authenticated_invite(net, alice, BOB)
    [incoming] = bob.requests("INVITE")
    bob.answer(incoming, 200)
    net.run()
    ok = alice.final("INVITE")
    route = ok.headers.get("Record-Route")
    assert route == "<sip:192.0.2.1:5060;transport=udp;lr>"
    to = ok.headers.get("To")
    remote = ok.contact[0].uri_text
    ack = _in_dialog(alice, "ACK", remote, route, to, invite.cseq.seq)  # type: ignore[union-attr]
    alice.send_stateless(ack)
    net.run()
    [acked] = bob.requests("ACK")
    assert acked.request.headers.get("Route") is None  # the proxy's Route came off
    bye = _in_dialog(alice, "BYE", remote, route, to, invite.cseq.seq + 1)  # type: ignore[union-attr]
    alice.send(bye)
    net.run()
    [got_bye] = bob.requests("BYE")
    assert got_bye.request.uri_text == bob.contact
    bob.answer(got_bye, 200)
    net.run()
    assert alice.final("BYE").status == 200


def test_the_callee_hangs_up_along_the_record_route() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    bob = net.agent("bob", "192.0.2.20")
    bob.register()
    authenticated_invite(net, alice, BOB)
    [incoming] = bob.requests("INVITE")
    bob.answer(incoming, 200)
    net.run()
    route = incoming.request.headers.get("Record-Route")
    assert route is not None
    # bob's BYE: Request-URI alice's Contact, Route = the record-route, tags swapped.
    raw = (f"BYE {alice.contact} SIP/2.0\r\n"
           f"Via: SIP/2.0/UDP {bob.address.host}:5060;branch={new_branch()};rport\r\n"
           f"Route: {route}\r\nMax-Forwards: 70\r\n"
           f"From: <sip:bob@{DOMAIN}>;tag=bob-totag\r\nTo: <sip:alice@{DOMAIN}>;tag=alice-tag\r\n"
           f"Call-ID: {alice.call_id}\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n")
    bye = parse_message(raw.encode())
    assert isinstance(bye, Request)
    bob.send(bye)
    net.run()
    [got] = alice.requests("BYE")  # not challenged although From is local: in a dialog
    assert got.request.uri_text == alice.contact
    assert got.request.headers.get("Route") is None
    alice.answer(got, 200)
    net.run()
    assert bob.final("BYE").status == 200


def test_cancel_from_upstream_cancels_every_branch() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    bob1, bob2 = two_bobs(net)
    invite = authenticated_invite(net, alice, BOB)
    [in1], [in2] = bob1.requests("INVITE"), bob2.requests("INVITE")
    bob1.answer(in1, 180)
    bob2.answer(in2, 180)
    net.run()
    cancel_key = alice.layer.send_cancel(_client_key(alice, invite), net.now)
    assert cancel_key is not None
    net.run()
    assert alice.final("CANCEL").status == 200  # never challenged
    for bob, incoming in ((bob1, in1), (bob2, in2)):
        [cancel] = bob.requests("CANCEL")
        bob.answer(cancel, 200)
        bob.answer(incoming, 487)
    net.run()
    assert alice.final("INVITE").status == 487
    net.advance(40, step=4)
    assert (net.core.router.pending, net.core.router.open_branches) == (0, 0)


def test_cancel_for_nothing_is_481() -> None:
    net = Network()
    carol = net.agent("carol", "192.0.2.30", user=False)
    cancel = carol.request("CANCEL", BOB)
    carol.send(cancel)
    net.run()
    assert carol.final("CANCEL").status == 481


def test_timer_c_cancels_ringing_branches_and_the_guard_ends_a_silent_one() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    bob1, bob2 = two_bobs(net)
    authenticated_invite(net, alice, BOB)
    [in1], [in2] = bob1.requests("INVITE"), bob2.requests("INVITE")
    bob1.answer(in1, 180)  # bob2 only sends its automatic 100 Trying
    net.run()
    net.advance(179, step=5)
    assert bob1.requests("CANCEL") == [] and bob2.requests("CANCEL") == []
    net.advance(3, step=1)
    [cancel1], [cancel2] = bob1.requests("CANCEL"), bob2.requests("CANCEL")  # Timer C (16.8)
    bob1.answer(cancel1, 200)
    bob1.answer(in1, 487)
    net.run()
    assert alice.responses("INVITE")[-1].status == 180  # bob2 has not answered its CANCEL
    net.advance(40, step=2)  # the CANCEL guard (64*T1) gives bob2's branch up as 408
    assert alice.final("INVITE").status == 487
    # The router has let bob2's branch go; its INVITE client transaction stays in
    # Proceeding in the layer, which has no way to abandon one (9.1's 64*T1).
    assert (net.core.router.pending, net.core.router.open_branches) == (0, 0)
    assert len(net.layer) >= 1


def test_unreachable_contact_times_out_as_408() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    bob = net.agent("bob", "192.0.2.20")
    bob.register(contact="sip:bob@192.0.2.99:5060")  # nobody there
    authenticated_invite(net, alice, BOB)
    net.advance(40, step=2)  # Timer B
    assert alice.final("INVITE").status == 408
    assert net.unanswered  # the INVITE and its retransmissions went to 192.0.2.99


def test_the_chain_is_ordered_and_an_application_can_claim() -> None:
    net = Network()
    names = [app.name for app in net.core.chain]
    assert names == ["registrar", "proxy"]

    class Echo:
        name = "echo"

        def on_request(self, context: RequestContext) -> bool:
            if context.request.method != "MESSAGE":
                return False
            context.respond(202)
            return True

    router = net.core.router
    net.core.chain = (net.core.chain[0], Echo(), router)
    carol = net.agent("carol", "192.0.2.30", user=False)
    message = carol.request("MESSAGE", BOB)
    message.headers.set("From", "<sip:carol@example.net>;tag=c1")
    carol.send(message)
    net.run()
    assert carol.final("MESSAGE").status == 202


def test_options_to_the_server_itself_is_answered() -> None:
    net = Network()
    carol = net.agent("carol", "192.0.2.30", user=False)
    request = carol.request("OPTIONS", f"sip:{PROXY.host}:{PROXY.port}")
    request.headers.set("From", "<sip:carol@example.net>;tag=c1")
    request.headers.set("Max-Forwards", "0")  # addressed to us: no 483
    carol.send(request)
    net.run()
    response = carol.final("OPTIONS")
    assert response.status == 200 and "INVITE" in (response.headers.get("Allow") or "")


def _in_dialog(ua: UserAgent, method: str, remote: str, route: str, to: str, seq: int) -> Request:
    raw = (f"{method} {remote} SIP/2.0\r\n"
           f"Via: SIP/2.0/UDP {ua.address.host}:5060;branch={new_branch()};rport\r\n"
           f"Route: {route}\r\nMax-Forwards: 70\r\n"
           f"From: <sip:{ua.name}@{DOMAIN}>;tag={ua.name}-tag\r\nTo: {to}\r\n"
           f"Call-ID: {ua.call_id}\r\nCSeq: {seq} {method}\r\nContent-Length: 0\r\n\r\n")
    message = parse_message(raw.encode())
    assert isinstance(message, Request)
    return message


def _client_key(ua: UserAgent, invite: Request):  # type: ignore[no-untyped-def]
    from uc_signal.sip.transaction_layer import client_key
    return client_key(invite)



def test_no_relay_for_preloaded_routes_or_dialogs_not_through_us() -> None:
    net = Network()
    carol = net.agent("carol", "192.0.2.30", user=False)
    net.agent("dave", "192.0.2.40", user=False)  # a foreign host the requests aim at
    cases = [
        # out of a dialog, a Route to another host
        ("OPTIONS", BOB, "Route: <sip:192.0.2.40;lr>\r\n", None, 403),
        # in a dialog (To tag) but without our Route: not a dialog we Record-Routed
        ("BYE", "sip:dave@192.0.2.40", "", "x", 403),
        ("BYE", "sip:dave@192.0.2.40", "Route: <sip:192.0.2.40;lr>\r\n", "x", 403),
    ]
    for method, uri, extra, to_tag, status in cases:
        request = carol.request(method, uri, extra=extra, to_tag=to_tag, to=BOB)
        request.headers.set("From", "<sip:carol@example.net>;tag=c1")
        carol.send(request)
        net.run()
        assert carol.final(method).status == status, (method, extra)
    assert net.agents[("192.0.2.40", 5060)].events == []


def test_double_record_route_across_transports_and_both_come_off() -> None:
    from uc_signal.directory import Binding
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    bob = net.agent("bob", "192.0.2.20")
    # bob registered over TCP: reached over its flow (the harness delivers by address).
    net.services.location.put(Binding(BOB, bob.contact + ";transport=tcp", net.now + 600, transport="TCP",
                                      source_host="192.0.2.20", source_port=5060, flow="tcp-flow-1"))
    invite = authenticated_invite(net, alice, BOB)
    [incoming] = bob.requests("INVITE")
    assert incoming.request.headers.get_all("Record-Route") == [
        "<sip:192.0.2.1:5060;transport=tcp;lr>", "<sip:192.0.2.1:5060;transport=udp;lr>"]  # RFC 5658
    assert incoming.request.top_via.transport == "TCP"  # type: ignore[union-attr]
    bob.answer(incoming, 200)
    net.run()
    ok = alice.final("INVITE")
    routes = ", ".join(reversed(ok.headers.get_all("Record-Route")))
    bye = _in_dialog(alice, "BYE", bob.contact + ";transport=tcp", routes, ok.headers.get("To") or "",
                     invite.cseq.seq + 1)  # type: ignore[union-attr]
    alice.send(bye)
    net.run()
    [got] = bob.requests("BYE")
    assert got.request.headers.get("Route") is None  # both of our entries came off
    bob.answer(got, 200)
    net.run()
    assert alice.final("BYE").status == 200


def test_retransmitted_2xx_is_forwarded_until_the_ack() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    bob = net.agent("bob", "192.0.2.20")
    bob.register()
    authenticated_invite(net, alice, BOB)
    [incoming] = bob.requests("INVITE")
    bob.answer(incoming, 200)
    net.run()
    net.advance(2.0, step=0.25)  # no ACK yet: bob's layer retransmits the 200 (T1, 2*T1)
    oks = [r for r in alice.responses("INVITE") if r.status == 200]
    assert len(oks) >= 3  # the 200 and its retransmissions, all relayed (RFC 6026)
