"""Where a NOTIFY goes when the flow of its subscription dialog is gone (a dropped
connection, or one that died with the previous ucd process): uc_signal.proxy.dialog_peer,
row by row (UDP and live flows unchanged; the registration of the dialog's target, its
new flow after the watcher registered again; the same UA instance under a new Contact;
no new connection towards a registered flow; a new TCP/TLS connection to an unregistered
Contact; nothing for WS), and ApplicationServices.dialog_peer over it."""

from __future__ import annotations

from uc_signal.directory import Binding, InMemoryBindingStore
from uc_signal.proxy.dialog_peer import current_peer, dialog_target, watcher_instance
from uc_signal.registrar import LocationService
from uc_signal.sip import Dialog, DialogId, DialogState, NameAddr
from uc_signal.transport.peer import Peer

NOW = 1_800_000_000.0
AOR = "sip:bob@example.test"
CONTACT = "sip:bob@192.0.2.7:5070;transport=tcp"
INSTANCE = "urn:uuid:00000000-0000-1000-8000-000a95a0e128"


def location(*bindings: Binding) -> LocationService:
    service = LocationService(InMemoryBindingStore())
    for binding in bindings:
        service.put(binding)
    return service


def tcp_binding(contact: str = CONTACT, flow: str = "new-flow", port: int = 40200, *, instance: str | None = None,
                reg_id: int | None = None, transport: str = "TCP", path: tuple[str, ...] = ()) -> Binding:
    return Binding(AOR, contact, NOW + 600, transport=transport, source_host="192.0.2.7", source_port=port,
                   flow=flow, instance=instance, reg_id=reg_id, registered_at=NOW, path=path)


def alive(*tokens: str):  # type: ignore[no-untyped-def]
    return lambda token: token in tokens


OLD = Peer("192.0.2.7", 40100, "TCP", "old-flow")


def test_udp_and_a_live_flow_keep_their_peer() -> None:
    udp = Peer("192.0.2.7", 5070, "UDP", "udp0")
    assert current_peer(udp, CONTACT, location=location(), flow_alive=alive(), now=NOW) == udp
    assert current_peer(OLD, CONTACT, location=location(), flow_alive=alive("old-flow"), now=NOW) == OLD
    # Without a flow table (a sans-IO network) every flow counts as open.
    assert current_peer(OLD, CONTACT, location=location(), flow_alive=None, now=NOW) == OLD


def test_a_closed_flow_moves_to_the_flow_the_watcher_registered_again_on() -> None:
    registered = location(tcp_binding())
    found = current_peer(OLD, CONTACT, location=registered, flow_alive=alive("new-flow"), now=NOW)
    assert found == Peer("192.0.2.7", 40200, "TCP", "new-flow")


def test_a_registration_whose_flow_is_gone_too_is_unreachable_no_new_connection() -> None:
    # RFC 5626 5.3: a flow that closed is not replaced by a connection we open.
    registered = location(tcp_binding(flow="old-flow"))
    assert current_peer(OLD, CONTACT, location=registered, flow_alive=alive(), now=NOW) is None


def test_an_expired_registration_no_longer_counts() -> None:
    registered = location(tcp_binding())
    later = NOW + 601
    # Then the Contact is no registered contact: over TCP a new connection to it.
    assert current_peer(OLD, CONTACT, location=registered, flow_alive=alive("new-flow"), now=later) == \
        Peer("192.0.2.7", 5070, "TCP")


def test_the_same_ua_instance_under_a_new_contact_is_found() -> None:
    moved = tcp_binding("sip:bob@192.0.2.7:40300;transport=tcp;ob", instance=INSTANCE, reg_id=1)
    registered = location(moved)
    found = current_peer(OLD, CONTACT, location=registered, flow_alive=alive("new-flow"), now=NOW, aor=AOR,
                         instance=INSTANCE)
    assert found == Peer("192.0.2.7", 40200, "TCP", "new-flow")
    # Without the instance known, nothing ties the new Contact to the dialog: a new
    # connection to the old Contact's address.
    assert current_peer(OLD, CONTACT, location=registered, flow_alive=alive("new-flow"), now=NOW) == \
        Peer("192.0.2.7", 5070, "TCP")


def test_the_instance_of_a_stale_registration_leads_to_its_live_one() -> None:
    # The old Contact is still registered (over the dead flow), the instance registered
    # again under another reg-id and Contact over a new connection.
    stale = tcp_binding(flow="old-flow", instance=INSTANCE, reg_id=1)
    fresh = tcp_binding("sip:bob@192.0.2.7:40300;transport=tcp;ob", instance=INSTANCE, reg_id=2)
    registered = location(stale, fresh)
    assert watcher_instance(registered, CONTACT, NOW) == INSTANCE
    assert current_peer(OLD, CONTACT, location=registered, flow_alive=alive("new-flow"), now=NOW) == \
        Peer("192.0.2.7", 40200, "TCP", "new-flow")


def test_an_unregistered_contact_is_reached_by_a_new_tcp_or_tls_connection() -> None:
    assert current_peer(OLD, CONTACT, location=location(), flow_alive=alive(), now=NOW) == Peer("192.0.2.7", 5070, "TCP")
    tls = Peer("192.0.2.7", 40100, "TLS", "old-flow")
    assert current_peer(tls, "sips:bob@192.0.2.7:5071", location=location(), flow_alive=alive(), now=NOW) == \
        Peer("192.0.2.7", 5071, "TLS")
    # A host name would need DNS (RFC 3263), and a UDP Contact is not where a stream dialog goes.
    assert current_peer(OLD, "sip:bob@pc.example.test;transport=tcp", location=location(), flow_alive=alive(),
                        now=NOW) is None
    assert current_peer(OLD, "sip:bob@192.0.2.7:5070", location=location(), flow_alive=alive(), now=NOW) is None


def test_a_websocket_watcher_is_reached_only_through_its_new_registration() -> None:
    ws_contact = "sip:k3l9@df7jal23ls0d.invalid;transport=ws"
    old_ws = Peer("192.0.2.7", 40124, "WS", "old-ws")
    assert current_peer(old_ws, ws_contact, location=location(), flow_alive=alive(), now=NOW) is None
    registered = location(tcp_binding(ws_contact, flow="new-ws", port=40500, transport="WS"))
    assert current_peer(old_ws, ws_contact, location=registered, flow_alive=alive("new-ws"), now=NOW) == \
        Peer("192.0.2.7", 40500, "WS", "new-ws")


def test_a_registration_with_a_path_is_not_used() -> None:
    # Its Path would have to be put in front of the dialog's route set.
    registered = location(tcp_binding(path=("<sip:edge.example.test;lr>",)))
    assert current_peer(OLD, CONTACT, location=registered, flow_alive=alive("new-flow"), now=NOW) is None


def dialog(route_set: list[str]) -> Dialog:
    return Dialog(dialog_id=DialogId("call", "pa1", "bob-1"), state=DialogState.CONFIRMED, is_uac=False,
                  local_seq=1, remote_seq=1, local_uri=NameAddr.parse("<sip:alice@example.test>"),
                  remote_uri=NameAddr.parse("<sip:bob@example.test>"), remote_target=CONTACT, route_set=route_set, secure=False)


def test_the_dialog_target_is_its_first_route_else_its_remote_target() -> None:
    assert dialog_target(dialog([])) == CONTACT
    assert dialog_target(dialog(["<sip:192.0.2.50:5060;transport=tcp;lr>", "<sip:192.0.2.51;lr>"])) == \
        "sip:192.0.2.50:5060;transport=tcp;lr"
    # Routed through a proxy: a new connection to that proxy, not to the Contact.
    routed = dialog(["<sip:192.0.2.50:5060;transport=tcp;lr>"])
    assert current_peer(OLD, dialog_target(routed), location=location(tcp_binding()), flow_alive=alive("new-flow"),
                        now=NOW) == Peer("192.0.2.50", 5060, "TCP")
