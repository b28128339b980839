"""Hypothesis: any sequence of registrations, removals, `*`, clock moves and restarts
leaves the location service, the binding store and the 200 OK agreeing with a plain model
(contact -> expiry time) of RFC 3261 10.3."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st


from proxy_network import DOMAIN, Network

AOR = f"sip:alice@{DOMAIN}"
CONTACTS = [f"sip:alice@192.0.2.{n}:5060" for n in (11, 12, 13)]

operations = st.lists(st.one_of(
    st.tuples(st.just("register"), st.integers(0, len(CONTACTS) - 1), st.sampled_from([0, 30, 60, 300, 100_000])),
    st.tuples(st.just("star")),
    st.tuples(st.just("advance"), st.sampled_from([1.0, 59.0, 61.0, 299.0, 4000.0])),
    st.tuples(st.just("restart")),
), max_size=10)


def star(net: Network) -> int:
    ua = net.agents[("192.0.2.10", 5060)]
    for attempt in range(2):
        request = ua.request("REGISTER", f"sip:{DOMAIN}", to=AOR, contact="Contact: *\r\n", extra="Expires: 0\r\n")
        if attempt:
            request.headers.add("Authorization", auth)
        ua.send(request)
        net.run()
        response = ua.final("REGISTER")
        if response.status != 401:
            return response.status
        auth = ua.digest.authorize(response.headers.get_all("WWW-Authenticate")[-1], "REGISTER", f"sip:{DOMAIN}")
    return 401


@given(operations)
def test_registrar_agrees_with_the_model(ops: list[tuple]) -> None:  # type: ignore[type-arg]
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    model: dict[str, float] = {}
    for op in ops:
        if op[0] == "register":
            _, index, expires = op
            response = alice.register(contact=CONTACTS[index], expires=expires)
            if 0 < expires < 60:
                assert response.status == 423
            else:
                assert response.status == 200
                if expires == 0:
                    model.pop(CONTACTS[index], None)
                else:
                    model[CONTACTS[index]] = net.now + min(expires, 3600)
                listed = {c.uri_text: c.expires for c in response.contact}
                assert listed == {c: int(at - net.now) for c, at in model.items()}
        elif op[0] == "star":
            assert star(net) == 200
            model.clear()
        elif op[0] == "advance":
            net.advance(op[1], step=op[1])
            model = {c: at for c, at in model.items() if at > net.now}
        else:
            net.start_services()
        bound = {b.contact: b.expires_at for b in net.services.location.lookup(AOR, net.now)}
        assert bound == model
        stored = {b.contact: b.expires_at for b in net.store.load_all(net.now)}
        assert stored == model


