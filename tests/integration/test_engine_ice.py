"""aioice as a full, controlling ICE agent against an engine leg's ICE-lite responder (in C,
on the worker thread): the checks are answered from the leg's socket, the nominated pair
becomes where the conference sends media, and the agent receives the mix over it.

Consent expiry (RFC 7675: 30 s without a valid check) is checked here through the engine
in real time (the slow test, about 40 s, marked `slow`; `-m "not slow"` skips it), and on
the responder alone with a shifted clock in tests/integration/test_ice_aioice.py.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Iterator

import aioice
import aioice.ice
import pytest

import uc_media
from uc_media import (
    ControllingIceAgent,
    IceCredentials,
    IceStateChanged,
    StunAttr,
    StunClass,
    StunMessage,
    StunMethod,
    is_stun,
)

pytestmark = pytest.mark.peer


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])
    yield


def test_aioice_connects_to_a_leg_and_receives_the_mix() -> None:
    async def run() -> None:
        with uc_media.Engine(workers=1, port_range=(45000, 45099)) as engine:
            conf = engine.create_conference()
            leg = engine.create_leg("pcmu")
            conf.add_leg(leg)
            ours = IceCredentials.generate()
            agent = ControllingIceAgent()
            leg.set_ice(ours, agent.local)
            candidate = aioice.Candidate(
                foundation="1", component=1, transport="udp", priority=2130706431,
                host="127.0.0.1", port=leg.local_port, type="host").to_sdp()
            try:
                assert await agent.gather()
                await asyncio.wait_for(agent.connect(ours, [candidate], remote_is_lite=True), 10)
                pair = agent.selected_pair
                assert pair is not None
                agent_addr = pair[0]
                events = []
                for _ in range(100):
                    events += engine.poll_events()
                    if any(isinstance(e, IceStateChanged) and e.state == "connected" for e in events):
                        break
                    await asyncio.sleep(0.02)
                ice = [e for e in events if isinstance(e, IceStateChanged)]
                assert ice and ice[-1] == IceStateChanged(leg, "connected", agent_addr)
                # The conference sends to the nominated address: the agent gets RTP over ICE.
                packet = await asyncio.wait_for(agent.recv(), 5)
                assert packet[0] >> 6 == 2 and packet[1] & 0x7F == 0
                # and media from the agent reaches the leg.
                rtp = struct.pack("!BBHII", 0x80, 0, 1, 160, 0x1234) + bytes(160)
                for _ in range(5):
                    await agent.send(rtp)
                await asyncio.sleep(0.1)
                stats = leg.stats()
                assert stats.ice_state == "connected"
                assert stats.stun_received >= 1 and stats.stun_answered >= 1
                assert stats.rtp_received >= 1 and stats.remote_known
            finally:
                await agent.close()

    asyncio.run(run())


class PlainSocket(asyncio.DatagramProtocol):
    """A bare UDP socket on the address aioice was nominated with: sees what the engine
    sends there, and sends the consent checks the test chooses to send."""

    def __init__(self) -> None:
        self.media: list[float] = []  # arrival times (loop clock) of non-STUN datagrams
        self.responses: list[tuple[float, StunMessage]] = []

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        now = asyncio.get_running_loop().time()
        if is_stun(data):
            self.responses.append((now, StunMessage.parse(data)))
        else:
            self.media.append(now)


def consent_check(leg_ice: IceCredentials, agent_ice: IceCredentials) -> bytes:
    """A valid consent check (RFC 7675 section 5.1: an ordinary ICE Binding request) from
    the controlling agent to the leg: USERNAME leg:agent, PRIORITY, ICE-CONTROLLING,
    MESSAGE-INTEGRITY under the leg's password, FINGERPRINT."""
    request = (
        StunMessage(StunMethod.BINDING, StunClass.REQUEST)
        .add(StunAttr.USERNAME, f"{leg_ice.ufrag}:{agent_ice.ufrag}".encode())
        .add_u32(StunAttr.PRIORITY, 1853824767)
        .add_u64(StunAttr.ICE_CONTROLLING, 0x0123456789ABCDEF)
    )
    return request.encode(integrity_key=leg_ice.pwd.encode(), fingerprint=True)


@pytest.mark.slow
def test_consent_expiry_stops_the_legs_media_after_30_s() -> None:
    """RFC 7675 section 5.1 through the engine in real time (about 40 s: the slow one).

    aioice connects and nominates; then it is closed (its consent checks stop) and a plain
    socket takes over its address. That socket sends one last valid consent check itself,
    so the time of the last check is known to within the round trip. The engine must keep
    sending to the address until 30 s after that check, stop by 35 s, report
    IceStateChanged "expired", and resume on a new valid check."""

    async def run() -> None:
        loop = asyncio.get_running_loop()
        with uc_media.Engine(workers=1, port_range=(45100, 45199)) as engine:
            conf = engine.create_conference()
            leg = engine.create_leg("pcmu")
            conf.add_leg(leg)
            ours = IceCredentials.generate()
            agent = ControllingIceAgent()
            leg.set_ice(ours, agent.local)
            candidate = aioice.Candidate(
                foundation="1", component=1, transport="udp", priority=2130706431,
                host="127.0.0.1", port=leg.local_port, type="host").to_sdp()
            try:
                assert await agent.gather()
                await asyncio.wait_for(agent.connect(ours, [candidate], remote_is_lite=True), 10)
                pair = agent.selected_pair
                assert pair is not None
                agent_addr = pair[0]
                packet = await asyncio.wait_for(agent.recv(), 5)
                assert packet[0] >> 6 == 2  # media reaches the nominated address
            finally:
                await agent.close()  # no more consent checks from aioice

            # Take over the nominated address (the closed socket is released on a later
            # loop iteration, hence the bounded retry).
            observer = PlainSocket()
            transport = None
            for _ in range(50):
                try:
                    transport, _proto = await loop.create_datagram_endpoint(
                        lambda: observer, local_addr=agent_addr)
                    break
                except OSError:
                    await asyncio.sleep(0.02)
            assert transport is not None, f"could not rebind {agent_addr}"
            try:
                leg_addr = ("127.0.0.1", leg.local_port)
                sent_at = loop.time()
                transport.sendto(consent_check(ours, agent.local), leg_addr)
                for _ in range(100):
                    if observer.responses:
                        break
                    await asyncio.sleep(0.01)
                assert observer.responses, "the leg did not answer the consent check"
                answered_at, answer = observer.responses[0]
                assert answer.message_class == StunClass.SUCCESS
                assert answer.xor_mapped_address == agent_addr

                # Watch until 36 s after the check, recording when "expired" is reported.
                expired_at = None
                events: list[object] = []
                while loop.time() < answered_at + 36.0:
                    for event in engine.poll_events():
                        events.append(event)
                        if isinstance(event, IceStateChanged) and event.state == "expired":
                            expired_at = loop.time()
                    await asyncio.sleep(0.05)
                assert observer.media, "no media reached the nominated address"
                last_media = observer.media[-1]
                # Still sending after 29.5 s without a check (the timeout is 30 s; the
                # margin is a few ticks on a busy machine) ...
                assert last_media - sent_at >= 29.5, last_media - sent_at
                # ... stopped by 35 s ...
                assert last_media - answered_at <= 35.0, last_media - answered_at
                # ... and said so.
                assert expired_at is not None and expired_at - answered_at <= 35.0
                ice = [e for e in events if isinstance(e, IceStateChanged)]
                assert ice[-1] == IceStateChanged(leg, "expired", agent_addr)
                assert leg.stats().ice_state == "expired"

                # A later valid check restores consent and media resumes (RFC 7675 5.1
                # stops media only while consent is lost).
                count = len(observer.media)
                transport.sendto(consent_check(ours, agent.local), leg_addr)
                for _ in range(100):
                    if len(observer.media) > count:
                        break
                    await asyncio.sleep(0.02)
                assert len(observer.media) > count, "media did not resume after a new check"
                assert leg.stats().ice_state == "connected"
            finally:
                transport.close()

    asyncio.run(run())
