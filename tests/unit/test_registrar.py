"""The registrar over in-memory UAs and the transaction layer (no sockets, hand-run clock):
digest challenge, contacts, q, 423, unregistration, RFC 3261 10.3 ordering, expiry
callbacks, persistence across a restart, GRUU, Path and flow-bound contacts."""

from __future__ import annotations

from uc_signal.directory import Binding, InMemoryBindingStore
from uc_signal.registrar import BindingChange, LocationService
from uc_signal.sip import Contact, DigestClient, Request
from uc_signal.transport.peer import Peer

from proxy_network import DOMAIN, T0, Network

AOR = f"sip:alice@{DOMAIN}"


def contacts(response) -> dict[str, Contact]:  # type: ignore[no-untyped-def]
    return {c.uri_text: c for c in response.contact}


def test_challenge_then_200_lists_the_binding_with_expires() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    request = alice.request("REGISTER", f"sip:{DOMAIN}", to=AOR, extra="Expires: 600\r\n")
    alice.send(request)
    net.run()
    challenge = alice.final("REGISTER")
    assert challenge.status == 401
    algorithms = [v for v in challenge.headers.get_all("WWW-Authenticate")]
    assert any("SHA-256" in v for v in algorithms) and any("MD5" in v for v in algorithms)
    response = alice.register(expires=600)
    assert response.status == 200
    bound = contacts(response)
    assert bound[alice.contact].expires == 600
    assert response.headers.get("Date")
    assert [b.contact for b in net.services.location.lookup(AOR, net.now)] == [alice.contact]


def test_wrong_password_and_unknown_user_get_403_and_bind_nothing() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    alice.digest = DigestClient("alice", "wrong")
    assert alice.register().status == 403
    mallory = net.agent("mallory", "192.0.2.66", user=False)
    assert mallory.register().status == 403
    assert len(net.services.location) == 0


def test_user_may_register_only_its_own_aor() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    net.agent("bob", "192.0.2.20")
    request = alice.request("REGISTER", f"sip:{DOMAIN}", to=f"sip:bob@{DOMAIN}")
    alice.send(request)
    net.run()
    challenge = alice.final("REGISTER").headers.get_all("WWW-Authenticate")[-1]
    auth = alice.digest.authorize(challenge, "REGISTER", f"sip:{DOMAIN}")
    again = alice.request("REGISTER", f"sip:{DOMAIN}", to=f"sip:bob@{DOMAIN}", extra=f"Authorization: {auth}\r\n")
    alice.send(again)
    net.run()
    assert alice.final("REGISTER").status == 403


def test_disabled_user_is_refused() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    net.users.set_enabled("alice", DOMAIN, False)
    assert alice.register().status == 403


def test_stale_nonce_is_rechallenged_with_stale_true() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    alice.send(alice.request("REGISTER", f"sip:{DOMAIN}", to=AOR))
    net.run()
    challenge = alice.final("REGISTER").headers.get_all("WWW-Authenticate")[-1]
    net.now += 1000  # past the 300 s nonce lifetime
    auth = alice.digest.authorize(challenge, "REGISTER", f"sip:{DOMAIN}")
    alice.send(alice.request("REGISTER", f"sip:{DOMAIN}", to=AOR, extra=f"Authorization: {auth}\r\n"))
    net.run()
    response = alice.final("REGISTER")
    assert response.status == 401
    assert all("stale=true" in v for v in response.headers.get_all("WWW-Authenticate"))


def test_several_contacts_with_q_values_and_expiry_clamped() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    response = alice.register(expires=100_000, extra=(
        "Contact: <sip:alice@192.0.2.11>;q=0.5, <sip:alice@192.0.2.12>;q=1.0;expires=120\r\n"))
    assert response.status == 200
    bound = contacts(response)
    assert set(bound) == {alice.contact, "sip:alice@192.0.2.11", "sip:alice@192.0.2.12"}
    assert bound[alice.contact].expires == 3600  # max_expires
    assert bound["sip:alice@192.0.2.12"].expires == 120
    assert bound["sip:alice@192.0.2.11"].q == 0.5
    order = [b.contact for b in net.services.location.lookup(AOR, net.now)]
    assert order[-1] == "sip:alice@192.0.2.11"  # lowest q last


def test_too_brief_interval_is_423_with_min_expires_and_binds_nothing() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    response = alice.register(expires=10)
    assert response.status == 423
    assert response.headers.get("Min-Expires") == "60"
    assert len(net.services.location) == 0


def test_expires_zero_removes_one_contact_and_star_removes_all() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    alice.register(extra="Contact: <sip:alice@192.0.2.11>\r\n")
    assert len(net.services.location.lookup(AOR, net.now)) == 2
    response = alice.register(contact="sip:alice@192.0.2.11", expires=0)
    assert set(contacts(response)) == {alice.contact}
    alice.register(extra="Contact: <sip:alice@192.0.2.11>\r\n")
    request_star = alice.register(contact="*", expires=0)
    assert request_star.status == 400  # "<*>" is not the wildcard
    star = alice.request("REGISTER", f"sip:{DOMAIN}", to=AOR, extra="Expires: 0\r\n")
    star.headers.set("Contact", "*")
    response = _authenticated(net, alice, star)
    assert response.status == 200
    assert response.contact == []
    assert len(net.services.location) == 0


def test_star_needs_expires_zero() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    alice.register()
    star = alice.request("REGISTER", f"sip:{DOMAIN}", to=AOR, extra="Expires: 60\r\n")
    star.headers.set("Contact", "*")
    assert _authenticated(net, alice, star).status == 400
    assert len(net.services.location) == 1


def test_same_call_id_with_lower_cseq_is_refused_and_changes_nothing() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    alice.register(expires=600)
    before = net.services.location.lookup(AOR, net.now)[0]
    stale = alice.request("REGISTER", f"sip:{DOMAIN}", to=AOR, extra="Expires: 0\r\n", cseq=1)
    assert _authenticated(net, alice, stale).status == 500
    assert net.services.location.lookup(AOR, net.now) == [before]
    # Another Call-ID (another UA instance, say after a reboot) may update the binding.
    other = alice.request("REGISTER", f"sip:{DOMAIN}", to=AOR, extra="Expires: 0\r\n", cseq=1,
                          call_id="rebooted")
    assert _authenticated(net, alice, other).status == 200
    assert len(net.services.location) == 0


def test_expiry_is_reported_through_callbacks_and_removes_from_the_store() -> None:
    net = Network()
    changes: list[tuple[BindingChange, str]] = []
    net.services.location.subscribe(lambda change, binding: changes.append((change, binding.contact)))
    alice = net.agent("alice", "192.0.2.10")
    alice.register(expires=60)
    assert changes == [(BindingChange.INSERTED, alice.contact)]
    assert net.core.get_timer() == net.now + 60
    net.advance(61, step=5)
    assert changes[-1] == (BindingChange.EXPIRED, alice.contact)
    assert net.store.bindings == {}
    assert net.core.get_timer() is None


def test_bindings_survive_a_restart_until_they_expire() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    alice.register(expires=300)
    net.now += 100
    services = net.start_services()
    [binding] = services.location.lookup(AOR, net.now)
    assert binding.contact == alice.contact and binding.expires_in(net.now) == 200
    net.now += 250
    assert net.start_services().location.lookup(AOR, net.now) == []


def test_gruu_public_and_temporary_for_instances_that_ask() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    instance = "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
    response = alice.register(contact_params=f';+sip.instance="<{instance}>"', extra="Supported: gruu\r\n")
    contact = contacts(response)[alice.contact]
    assert contact.params["pub-gruu"] == f'"{AOR};gr={instance}"'
    temp = contact.params["temp-gruu"].strip('"')
    assert temp.startswith("sip:tgruu.") and temp.endswith(f"@{DOMAIN};gr") and "alice" not in temp
    # Without Supported: gruu, no GRUU is handed out (RFC 5627 3.2).
    plain = alice.register(contact_params=f';+sip.instance="<{instance}>"')
    assert "pub-gruu" not in contacts(plain)[alice.contact].params


def test_gruu_routes_to_that_instance_only() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    alice_laptop = net.agent("alice", "192.0.2.11")
    caller = net.agent("carol", "192.0.2.30", user=False)
    instance = "urn:uuid:00000000-0000-0000-0000-000000000001"
    response = alice.register(contact_params=f';+sip.instance="<{instance}>"', extra="Supported: gruu\r\n")
    alice_laptop.register()
    temp = contacts(response)[alice.contact].params["temp-gruu"].strip('"')
    for target in (f"{AOR};gr={instance}", temp):
        invite = caller.request("OPTIONS", target, to=AOR, from_user="carol")
        invite.headers.set("From", "<sip:carol@example.net>;tag=c1")
        caller.send(invite)
        net.run()
        assert [e.request.uri_text for e in alice.requests("OPTIONS")][-1] == alice.contact
        assert alice_laptop.requests("OPTIONS") == []


def test_path_is_stored_echoed_and_used_as_route() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    edge = net.agent("edge", "192.0.2.50", user=False)
    response = alice.register(extra="Path: <sip:192.0.2.50;lr>\r\nSupported: path\r\n")
    assert response.headers.get_all("Path") == ["<sip:192.0.2.50;lr>"]
    [binding] = net.services.location.lookup(AOR, net.now)
    assert binding.path == ("<sip:192.0.2.50;lr>",)
    carol = net.agent("carol", "192.0.2.30", user=False)
    options = carol.request("OPTIONS", AOR)
    options.headers.set("From", "<sip:carol@example.net>;tag=c1")
    carol.send(options)
    net.run()
    [received] = edge.requests("OPTIONS")  # the Path hop gets it, with the Path as Route
    assert received.request.uri_text == alice.contact
    assert received.request.headers.get("Route") == "<sip:192.0.2.50;lr>"


def test_contact_over_a_connection_binds_to_its_flow() -> None:
    store = InMemoryBindingStore()
    location = LocationService(store)
    binding = Binding(AOR, "sip:alice@10.0.0.5:5070;transport=tcp", T0 + 600, transport="TCP",
                      source_host="198.51.100.7", source_port=40000, flow="flowtoken1")
    location.put(binding)
    from uc_signal.proxy.targets import destination_for_binding
    destination = destination_for_binding(binding)
    assert destination is not None
    assert destination.peer == Peer("198.51.100.7", 40000, "TCP", "flowtoken1")
    assert destination.uri == "sip:alice@10.0.0.5:5070;transport=tcp"
    # Over UDP without outbound, the Contact URI says where; the socket is kept.
    udp = Binding(AOR, "sip:alice@192.0.2.10:5062", T0 + 600, source_host="203.0.113.9", source_port=1234,
                  flow="udp0")
    assert destination_for_binding(udp).peer == Peer("192.0.2.10", 5062, "UDP", "udp0")  # type: ignore[union-attr]
    # Outbound (RFC 5626) over UDP: the flow is the source address.
    outbound = Binding(AOR, "sip:alice@192.0.2.10:5062", T0 + 600, source_host="203.0.113.9",
                       source_port=1234, flow="udp0", instance="urn:uuid:1", reg_id=1)
    assert destination_for_binding(outbound).peer == Peer("203.0.113.9", 1234, "UDP", "udp0")  # type: ignore[union-attr]


def test_outbound_registration_gets_require_outbound_and_replaces_by_reg_id() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    params = ';+sip.instance="<urn:uuid:0001>";reg-id=1'
    response = alice.register(contact_params=params, extra="Supported: outbound, path\r\n")
    assert response.headers.get("Require") == "outbound"
    # The same instance and reg-id from a new contact address replaces the binding.
    response = alice.register(contact_params=params, extra="Supported: outbound\r\n",
                              contact="sip:alice@192.0.2.10:6000")
    assert [b.contact for b in net.services.location.lookup(AOR, net.now)] == ["sip:alice@192.0.2.10:6000"]
    assert set(contacts(response)) == {"sip:alice@192.0.2.10:6000"}


def test_require_of_an_unknown_extension_is_420() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    response = alice.register(extra="Require: nonsense\r\n")
    assert response.status == 420
    assert response.headers.get("Unsupported") == "nonsense"


def _authenticated(net: Network, ua, request: Request):  # type: ignore[no-untyped-def]
    """Send `request`, answer its challenge with the same headers, return the final."""
    ua.send(request)
    net.run()
    response = ua.final("REGISTER")
    if response.status != 401:
        return response
    challenge = response.headers.get_all("WWW-Authenticate")[-1]
    retry = Request(request.method, request.uri_text, request.headers.copy())
    retry.headers.pop_first("Via")
    from uc_signal.sip.derived_requests import new_branch
    retry.headers.prepend("Via", f"SIP/2.0/UDP {ua.address.host}:5060;branch={new_branch()};rport")
    cseq = request.cseq
    assert cseq is not None
    retry.headers.set("CSeq", f"{cseq.seq + 1} REGISTER")
    retry.headers.add("Authorization", ua.digest.authorize(challenge, "REGISTER", request.uri_text))
    ua.cseq = cseq.seq + 1
    ua.send(retry)
    net.run()
    return ua.final("REGISTER")


def test_after_a_restart_gruus_resolve_and_old_nonces_still_verify() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    caller = net.agent("carol", "192.0.2.30", user=False)
    response = alice.register(contact_params=';+sip.instance="<urn:uuid:7>"', extra="Supported: gruu\r\n")
    temp = contacts(response)[alice.contact].params["temp-gruu"].strip('"')
    # A challenge issued before the restart ...
    alice.send(alice.request("REGISTER", f"sip:{DOMAIN}", to=AOR))
    net.run()
    challenge = alice.final("REGISTER").headers.get_all("WWW-Authenticate")[-1]
    changes: list[BindingChange] = []
    services = net.start_services()
    services.location.subscribe(lambda change, binding: changes.append(change))
    services.location.load(net.now)
    assert changes == [BindingChange.LOADED]
    # ... is answered after it: the nonce is stateless (HMAC under the same secret).
    auth = alice.digest.authorize(challenge, "REGISTER", f"sip:{DOMAIN}")
    alice.send(alice.request("REGISTER", f"sip:{DOMAIN}", to=AOR,
                             contact=f'Contact: <{alice.contact}>;+sip.instance="<urn:uuid:7>"\r\n',
                             extra=f"Authorization: {auth}\r\nExpires: 600\r\n"))
    net.run()
    assert alice.final("REGISTER").status == 200
    options = caller.request("OPTIONS", temp, to=AOR)
    options.headers.set("From", "<sip:carol@example.net>;tag=c1")
    caller.send(options)
    net.run()
    assert [e.request.uri_text for e in alice.requests("OPTIONS")] == [alice.contact]


def test_gruu_index_holds_one_token_per_binding() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    for call_id in ("a", "b", "c"):  # a new Call-ID, a new temp GRUU (RFC 5627 3.2)
        alice.call_id = call_id
        alice.register(contact_params=';+sip.instance="<urn:uuid:9>"', extra="Supported: gruu\r\n")
    assert len(net.services.registrar.gruu) == 1
    alice.register(expires=0)
    assert len(net.services.registrar.gruu) == 0
