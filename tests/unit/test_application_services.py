"""What an application of the chain gets from the server (ApplicationServices): caller
authentication, every endpoint of a local user, requests of its own with their answers
routed back (timeouts as 408), and deadlines run by the core. In-memory network, hand-run
clock."""

from __future__ import annotations

from dataclasses import dataclass, field

from uc_signal.application import RequestContext, TimedApplication
from uc_signal.proxy.services import ApplicationServices
from uc_signal.sip import Request, Response

from proxy_network import DOMAIN, Network, UserAgent

BOB = f"sip:bob@{DOMAIN}"


@dataclass
class Pager:
    """MESSAGE to a local user, delivered by the application itself to each endpoint."""

    services: ApplicationServices
    name: str = "pager"
    answers: list[tuple[str, int]] = field(default_factory=list)

    def on_request(self, context: RequestContext) -> bool:
        request = context.request
        if request.method != "MESSAGE":
            return False
        if not self.services.caller_auth.authorize(context):
            return True  # answered: 407 or 403
        sender = self.services.caller_auth.sender(request)
        assert context.caller == sender   # the user whose credentials authorize() checked, or None
        destinations = self.services.destinations(BOB, context.now)
        for destination in destinations:
            copy = Request("MESSAGE", destination.uri, request.headers.copy(), request.body)
            copy.headers.remove("Via")
            copy.headers.prepend("Via", str(self.services.originator.via(destination.peer.transport)))
            self.services.originator.send(copy, destination.peer, self._answered(destination.uri), context.now)
        context.respond(202 if destinations else 480, headers=[("X-Sender", sender.aor if sender else "-")])
        return True

    def _answered(self, uri: str):  # type: ignore[no-untyped-def]
        def record(response: Response, now: float) -> None:
            if response.status >= 200:
                self.answers.append((uri, response.status))
        return record


@dataclass
class Alarm:
    services: ApplicationServices
    name: str = "alarm"
    at: float | None = None
    fired: list[float] = field(default_factory=list)

    def on_request(self, context: RequestContext) -> bool:
        return False

    def get_timer(self) -> float | None:
        return self.at

    def handle_timer(self, now: float) -> None:
        if self.at is not None and now >= self.at:
            self.fired.append(now)
            self.at = None


def authenticated_message(net: Network, caller: UserAgent, target: str) -> Response:
    caller.send(caller.request("MESSAGE", target, body="hello"))
    net.run()
    challenge = caller.final("MESSAGE")
    assert challenge.status == 407, challenge
    auth = caller.digest.authorize(challenge.headers.get_all("Proxy-Authenticate")[-1], "MESSAGE", target)
    caller.send(caller.request("MESSAGE", target, body="hello", extra=f"Proxy-Authorization: {auth}\r\n"))
    net.run()
    return caller.final("MESSAGE")


def pager_network() -> tuple[Network, list[Pager]]:
    built: list[Pager] = []

    def build(services: ApplicationServices) -> Pager:
        built.append(Pager(services))
        return built[-1]

    return Network(applications=(build,)), built


def test_an_application_sends_to_every_endpoint_and_gets_the_answers() -> None:
    net, built = pager_network()
    assert [app.name for app in net.core.chain] == ["registrar", "pager", "proxy"]
    alice = net.agent("alice", "192.0.2.10")
    bob1, bob2 = net.agent("bob", "192.0.2.20"), net.agent("bob", "192.0.2.21")
    for bob in (bob1, bob2):
        assert bob.register().status == 200
        bob.autoanswer = lambda event: (200, [])
    answer = authenticated_message(net, alice, BOB)
    assert answer.status == 202
    assert answer.headers.get("X-Sender") == f"sip:alice@{DOMAIN}"
    assert [e.request.body for e in bob1.requests("MESSAGE")] == [b"hello"]
    assert [e.request.body for e in bob2.requests("MESSAGE")] == [b"hello"]
    assert sorted(status for _, status in built[0].answers) == [200, 200]
    assert len(net.core.originator) == 0  # nothing left pending


def test_a_silent_endpoint_is_answered_408_by_timer_f() -> None:
    net, built = pager_network()
    alice = net.agent("alice", "192.0.2.10")
    bob = net.agent("bob", "192.0.2.20")
    bob.register(contact="sip:bob@192.0.2.99:5060")  # nobody there
    assert authenticated_message(net, alice, BOB).status == 202
    assert built[0].answers == []
    net.advance(40, step=2)
    assert built[0].answers == [("sip:bob@192.0.2.99:5060", 408)]


def test_caller_authentication_rejects_another_users_credentials() -> None:
    net, _ = pager_network()
    alice = net.agent("alice", "192.0.2.10")
    net.agent("bob", "192.0.2.20").register()
    alice.send(alice.request("MESSAGE", BOB))
    net.run()
    challenge = alice.final("MESSAGE")
    auth = alice.digest.authorize(challenge.headers.get_all("Proxy-Authenticate")[-1], "MESSAGE", BOB)
    forged = alice.request("MESSAGE", BOB, from_user="bob", extra=f"Proxy-Authorization: {auth}\r\n")
    alice.send(forged)
    net.run()
    assert alice.final("MESSAGE").status == 403


def test_the_core_runs_an_applications_deadlines() -> None:
    alarms: list[Alarm] = []

    def build(services: ApplicationServices) -> Alarm:
        alarms.append(Alarm(services))
        return alarms[-1]

    net = Network(applications=(build,))
    assert isinstance(alarms[0], TimedApplication)
    due = net.now + 10
    alarms[0].at = due
    assert net.core.get_timer() == due
    net.advance(5)
    assert alarms[0].fired == []
    net.advance(6)
    assert len(alarms[0].fired) == 1 and alarms[0].fired[0] >= due
    assert net.core.get_timer() is None
