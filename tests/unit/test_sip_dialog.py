"""Dialogs (RFC 3261 section 12) between in-memory UAs, through the transaction layer."""

from __future__ import annotations

import pytest
from sip_network import ALICE, BOB, Network, request

from uc_signal.sip.dialog import (
    DIALOG_ERROR_STATUS,
    Dialog,
    DialogError,
    DialogId,
    DialogProtocolError,
    DialogState,
    DialogTable,
    UacDialogSet,
    copy_record_route,
)
from uc_signal.sip.message import Request, Response, make_response, parse_message
from uc_signal.sip.transaction_events import RequestReceived, ResponseReceived
from uc_signal.sip.via import Via

BOB_CONTACT = "sip:bob@192.0.2.20:5060"
RECORD_ROUTE = "Record-Route: <sip:p2.example.net;lr>, <sip:p1.example.com;lr>\r\n"


def answer(req: Request, status: int, tag: str = "b-tag", contact: str | None = BOB_CONTACT) -> Response:
    response = make_response(req, status, to_tag=tag)
    if contact is not None and status > 100:
        response.headers.add("Contact", f"<{contact}>")
    copy_record_route(req, response)
    response.headers.set("Content-Length", "0")
    return response


def via(host: str, branch: str, transport: str = "UDP") -> Via:
    return Via(transport, host, 5060, {"branch": branch})


def only_request(net: Network, addr: tuple[str, int]) -> RequestReceived:
    events = [e for e in net.events(addr) if isinstance(e, RequestReceived)]
    assert len(events) == 1
    return events[0]


def responses(net: Network, addr: tuple[str, int]) -> list[Response]:
    return [e.response for e in net.events(addr) if isinstance(e, ResponseReceived)]


def test_call_setup_and_bye_through_transactions_and_bytes() -> None:
    net = Network()
    alice, bob = net.add(ALICE), net.add(BOB)
    invite = request(extra=RECORD_ROUTE)
    uac_set = UacDialogSet(invite)
    alice.send_request(invite, BOB, 0.0)
    net.deliver(0.0)
    incoming = only_request(net, BOB).request
    # Bob rings (early dialog) and answers (confirmed).
    ringing = answer(incoming, 180)
    bob_dialog = Dialog.for_uas(incoming, ringing)
    assert bob_dialog.state is DialogState.EARLY
    bob.send_response(ringing, 0.1)
    net.deliver(0.1)
    [trying, ringing_rx] = responses(net, ALICE)
    assert uac_set.receive_response(trying) is None  # 100 has no tag: no dialog
    alice_dialog = uac_set.receive_response(ringing_rx)
    assert alice_dialog is not None and alice_dialog.state is DialogState.EARLY
    ok = answer(incoming, 200)
    bob.send_response(ok, 0.2)
    bob_dialog.sent_response(ok)
    net.deliver(0.2)
    [ok_rx] = responses(net, ALICE)
    assert uac_set.receive_response(ok_rx) is alice_dialog
    assert alice_dialog.state is DialogState.CONFIRMED and bob_dialog.state is DialogState.CONFIRMED

    # Dialog IDs mirror each other (12.1.1, 12.1.2).
    assert alice_dialog.id == DialogId("call-1@192.0.2.10", "a-tag", "b-tag")
    assert bob_dialog.id == DialogId("call-1@192.0.2.10", "b-tag", "a-tag")
    # Route sets: the UAS keeps the request's Record-Route order, the UAC reverses it.
    assert bob_dialog.route_set == ["<sip:p2.example.net;lr>", "<sip:p1.example.com;lr>"]
    assert alice_dialog.route_set == ["<sip:p1.example.com;lr>", "<sip:p2.example.net;lr>"]
    assert alice_dialog.remote_target == BOB_CONTACT
    assert bob_dialog.remote_target == "sip:alice@192.0.2.10"
    assert (alice_dialog.local_seq, alice_dialog.remote_seq) == (1, None)
    assert (bob_dialog.local_seq, bob_dialog.remote_seq) == (None, 1)

    # The ACK for the 2xx: built by the dialog, same CSeq number, new branch, no transaction.
    ack = alice_dialog.create_request("ACK", via("192.0.2.10", "z9hG4bKack1"), cseq=1)
    alice.send_stateless(ack, BOB)
    net.deliver(0.3)
    ack_event = only_request(net, BOB)
    assert ack_event.transaction is None and ack_event.request.method == "ACK"
    assert bob_dialog.receive_request(ack_event.request) is None

    # Bob hangs up: a UAS's first request starts its local CSeq (8.1.1.5).
    table = DialogTable()
    table.add(alice_dialog)
    bye = bob_dialog.create_request("BYE", via("192.0.2.20", "z9hG4bKbye1"))
    assert bye.cseq is not None and bye.cseq.seq == 1 and bob_dialog.local_seq == 1
    assert bye.uri_text == "sip:alice@192.0.2.10"
    assert bye.headers.values("Route") == ["<sip:p2.example.net;lr>", "<sip:p1.example.com;lr>"]
    bob.send_request(bye, ALICE, 1.0)
    net.deliver(1.0)
    bye_rx = only_request(net, ALICE).request
    found = table.match_request(bye_rx)
    assert found is alice_dialog
    assert alice_dialog.receive_request(bye_rx) is None
    assert alice_dialog.state is DialogState.TERMINATED and alice_dialog.remote_seq == 1
    alice.send_response(answer(bye_rx, 200, tag="a-tag", contact=None), 1.1)
    net.deliver(1.1)
    [bye_ok] = responses(net, BOB)
    bob_dialog.receive_response(bye, bye_ok)
    assert bob_dialog.state is DialogState.TERMINATED
    with pytest.raises(DialogProtocolError):
        bob_dialog.create_request("INFO", via("192.0.2.20", "z9hG4bKx"))


def _confirmed_pair(extra: str = "") -> tuple[Dialog, Dialog, Request]:
    invite = request(extra=extra)
    ok = answer(invite, 200)
    return Dialog.for_uac(invite, parse_response(ok)), Dialog.for_uas(invite, ok), invite


def parse_response(response: Response) -> Response:
    parsed = parse_message(bytes(response))
    assert isinstance(parsed, Response)
    return parsed


def test_in_dialog_request_fields_with_loose_routing() -> None:
    alice_dialog, _, _ = _confirmed_pair(RECORD_ROUTE)
    info = alice_dialog.create_request("INFO", via("192.0.2.10", "z9hG4bKi1"), body=b"hi", content_type="text/plain")
    parsed = parse_message(bytes(info))
    assert isinstance(parsed, Request)
    assert parsed.uri_text == BOB_CONTACT  # 12.2.1.1 loose routing: remote target stays
    assert parsed.headers.values("Route") == ["<sip:p1.example.com;lr>", "<sip:p2.example.net;lr>"]
    assert parsed.cseq is not None and (parsed.cseq.seq, parsed.cseq.method) == (2, "INFO")
    assert parsed.from_ is not None and parsed.from_.tag == "a-tag"
    assert parsed.to is not None and parsed.to.tag == "b-tag" and parsed.call_id == "call-1@192.0.2.10"
    assert parsed.body == b"hi" and parsed.content_length == 2 and parsed.max_forwards == 70


def test_strict_routing_puts_remote_target_last() -> None:
    rr = "Record-Route: <sip:p2.example.net;lr>, <sip:p1.example.com;method=INVITE>\r\n"
    alice_dialog, _, _ = _confirmed_pair(rr)
    assert alice_dialog.route_set[0] == "<sip:p1.example.com;method=INVITE>"
    bye = alice_dialog.create_request("BYE", via("192.0.2.10", "z9hG4bKs1"))
    # 12.2.1.1: the strict router becomes the Request-URI (less what a Request-URI may not
    # carry), the remaining routes follow and the remote target goes last.
    assert bye.uri_text == "sip:p1.example.com"
    assert bye.headers.values("Route") == ["<sip:p2.example.net;lr>", f"<{BOB_CONTACT}>"]


def test_no_route_set_sends_to_remote_target_without_route() -> None:
    alice_dialog, _, _ = _confirmed_pair()
    bye = alice_dialog.create_request("BYE", via("192.0.2.10", "z9hG4bKn1"))
    assert bye.uri_text == BOB_CONTACT and "Route" not in bye.headers


def test_remote_cseq_rules() -> None:
    alice_dialog, bob_dialog, _ = _confirmed_pair()
    assert bob_dialog.remote_seq == 1
    for _ in range(3):
        alice_dialog.create_request("INFO", via("192.0.2.10", "z9hG4bKc"))
    later = alice_dialog.create_request("INFO", via("192.0.2.10", "z9hG4bKc5"))
    assert bob_dialog.receive_request(later) is None and bob_dialog.remote_seq == 5
    stale = request("INFO", cseq=3, to_tag="b-tag")
    # 12.2.2: lower than the remote sequence number -> 500.
    error = bob_dialog.receive_request(stale)
    assert error is DialogError.CSEQ_OUT_OF_ORDER
    assert DIALOG_ERROR_STATUS[error] == (500, "Server Internal Error")
    assert bob_dialog.remote_seq == 5
    # An ACK reuses its INVITE's (lower) number and is not out of order.
    assert bob_dialog.receive_request(request("ACK", cseq=1, to_tag="b-tag")) is None
    # Gaps are allowed (numbers only have to grow).
    assert bob_dialog.receive_request(request("INFO", cseq=40, to_tag="b-tag")) is None


def test_local_cseq_increments_but_ack_and_cancel_reuse() -> None:
    alice_dialog, _, _ = _confirmed_pair()
    first = alice_dialog.create_request("INVITE", via("192.0.2.10", "z9hG4bKr1"), contact="sip:alice@192.0.2.10")
    assert first.cseq is not None and first.cseq.seq == 2
    ack = alice_dialog.create_request("ACK", via("192.0.2.10", "z9hG4bKr2"), cseq=2)
    assert ack.cseq is not None and ack.cseq.seq == 2 and alice_dialog.local_seq == 2
    with pytest.raises(ValueError):
        alice_dialog.create_request("ACK", via("192.0.2.10", "z9hG4bKr3"))


def test_target_refresh_by_reinvite_and_update() -> None:
    alice_dialog, bob_dialog, _ = _confirmed_pair()
    reinvite = alice_dialog.create_request("INVITE", via("192.0.2.10", "z9hG4bKt1"), contact="sip:alice@198.51.100.7:5070")
    assert bob_dialog.receive_request(reinvite) is None
    assert bob_dialog.remote_target == "sip:alice@198.51.100.7:5070"
    # The 2xx to a target refresh replaces the UAC's remote target (12.2.1.2).
    ok = answer(reinvite, 200, contact="sip:bob@203.0.113.9")
    alice_dialog.receive_response(reinvite, parse_response(ok))
    assert alice_dialog.remote_target == "sip:bob@203.0.113.9"
    update = alice_dialog.create_request("UPDATE", via("192.0.2.10", "z9hG4bKt2"), contact="sip:alice@198.51.100.8")
    bob_dialog.receive_request(update)
    assert bob_dialog.remote_target == "sip:alice@198.51.100.8"
    # A non-refresh request with a Contact does not move the target; a failed refresh neither.
    info = alice_dialog.create_request("INFO", via("192.0.2.10", "z9hG4bKt3"), contact="sip:elsewhere@192.0.2.99")
    bob_dialog.receive_request(info)
    assert bob_dialog.remote_target == "sip:alice@198.51.100.8"
    reinvite2 = alice_dialog.create_request("INVITE", via("192.0.2.10", "z9hG4bKt4"), contact="sip:alice@192.0.2.10")
    alice_dialog.receive_response(reinvite2, parse_response(answer(reinvite2, 488, contact="sip:nope@192.0.2.1")))
    assert alice_dialog.remote_target == "sip:bob@203.0.113.9" and alice_dialog.state is DialogState.CONFIRMED


@pytest.mark.parametrize("status", [408, 481])
def test_408_and_481_end_the_dialog(status: int) -> None:
    alice_dialog, _, _ = _confirmed_pair()
    info = alice_dialog.create_request("INFO", via("192.0.2.10", "z9hG4bKe1"))
    alice_dialog.receive_response(info, parse_response(answer(info, status, contact=None)))
    assert alice_dialog.state is DialogState.TERMINATED


def test_forking_early_dialogs_and_confirmation_of_one() -> None:
    invite = request()
    dialogs = UacDialogSet(invite)
    b1 = dialogs.receive_response(parse_response(answer(invite, 180, tag="b1", contact="sip:bob@phone1")))
    b2 = dialogs.receive_response(parse_response(answer(invite, 183, tag="b2", contact="sip:bob@phone2")))
    again = dialogs.receive_response(parse_response(answer(invite, 180, tag="b1", contact="sip:bob@phone1")))
    assert b1 is again and b1 is not b2 and len(dialogs.early) == 2
    assert b1 is not None and b2 is not None
    assert (b1.remote_target, b2.remote_target) == ("sip:bob@phone1", "sip:bob@phone2")
    assert b1.id.remote_tag == "b1" and b2.id.remote_tag == "b2" and b1.id.local_tag == b2.id.local_tag
    confirmed = dialogs.receive_response(parse_response(answer(invite, 200, tag="b2", contact="sip:bob@phone2")))
    assert confirmed is b2 and b2.state is DialogState.CONFIRMED and b1.state is DialogState.EARLY
    dialogs.transaction_ended()  # Timer M: the branch that never answered is over
    assert b1.state is DialogState.TERMINATED and dialogs.confirmed == [b2]


def test_forked_2xx_from_two_branches_make_two_dialogs() -> None:
    invite = request()
    dialogs = UacDialogSet(invite)
    first = dialogs.receive_response(parse_response(answer(invite, 200, tag="x1")))
    second = dialogs.receive_response(parse_response(answer(invite, 200, tag="x2")))
    assert first is not second and len(dialogs.confirmed) == 2


def test_2xx_confirming_early_dialog_recomputes_route_set() -> None:
    invite = request()
    dialogs = UacDialogSet(invite)
    early = parse_response(answer(invite, 180))
    dialog = dialogs.receive_response(early)
    assert dialog is not None and dialog.route_set == []
    ok = answer(invite, 200)
    ok.headers.add("Record-Route", "<sip:proxy.example.com;lr>")
    dialogs.receive_response(parse_response(ok))
    assert dialog.route_set == ["<sip:proxy.example.com;lr>"] and dialog.state is DialogState.CONFIRMED


def test_non_2xx_final_ends_early_dialogs() -> None:
    invite = request()
    dialogs = UacDialogSet(invite)
    dialog = dialogs.receive_response(parse_response(answer(invite, 180, tag="b1")))
    assert dialogs.receive_response(parse_response(answer(invite, 486, tag="b1"))) is None
    assert dialog is not None and dialog.state is DialogState.TERMINATED


def test_uas_early_dialog_ends_on_non_2xx() -> None:
    invite = request()
    ringing = answer(invite, 180)
    dialog = Dialog.for_uas(invite, ringing)
    dialog.sent_response(answer(invite, 603))
    assert dialog.state is DialogState.TERMINATED
    assert dialog.receive_request(request("BYE", cseq=2, to_tag="b-tag")) is DialogError.TERMINATED


def test_dialog_table_lookup_and_481() -> None:
    alice_dialog, bob_dialog, _ = _confirmed_pair()
    table = DialogTable()
    table.add(bob_dialog)
    in_dialog = alice_dialog.create_request("INFO", via("192.0.2.10", "z9hG4bKd1"))
    assert table.match_request(in_dialog) is bob_dialog
    assert table.match_request(request("OPTIONS")) is None  # no To tag: outside any dialog
    unknown = table.match_request(request("BYE", to_tag="nobody"))
    assert unknown is DialogError.DOES_NOT_EXIST
    assert DIALOG_ERROR_STATUS[unknown][0] == 481
    uac_table = DialogTable()
    uac_table.add(alice_dialog)
    response = parse_response(answer(in_dialog, 200))
    assert uac_table.match_response(response) is alice_dialog
    table.remove(bob_dialog)
    assert len(table) == 0


def test_dialog_creation_needs_tag_and_contact() -> None:
    invite = request()
    no_tag = make_response(invite, 180)
    no_tag.headers.add("Contact", f"<{BOB_CONTACT}>")
    with pytest.raises(DialogProtocolError) as caught:
        Dialog.for_uac(invite, no_tag)
    assert caught.value.error is DialogError.NO_TAG
    no_contact = answer(invite, 200, contact=None)
    with pytest.raises(DialogProtocolError) as caught:
        Dialog.for_uac(invite, no_contact)
    assert caught.value.status == (400, "Bad Request")


def test_secure_flag_needs_sips_over_tls() -> None:
    invite = request(uri="sips:bob@example.com", transport="TLS")
    assert Dialog.for_uas(invite, answer(invite, 200)).secure
    plain = request(uri="sips:bob@example.com")
    assert not Dialog.for_uas(plain, answer(plain, 200)).secure
