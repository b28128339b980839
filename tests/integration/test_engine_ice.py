"""aioice as a full, controlling ICE agent against an engine leg's ICE-lite responder (in C,
on the worker thread): the checks are answered from the leg's socket, the nominated pair
becomes where the conference sends media, and the agent receives the mix over it.

Consent expiry (RFC 7675: 30 s without a valid check) is checked on the responder with a
shifted clock in tests/integration/test_ice_aioice.py; here the engine runs in real time,
so the test stops at the connected state and media flow.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Iterator

import aioice
import aioice.ice
import pytest

import uc_media
from uc_media import ControllingIceAgent, IceCredentials, IceStateChanged

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
