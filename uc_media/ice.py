"""ICE for media legs: which side the engine plays, credentials, and the full agent.

Which side is used when
-----------------------
* Toward clients - softphones, Lync/Skype clients, browsers (WebRTC), mobile apps - the
  engine is an **ICE-lite** agent (RFC 8445 section 2.5): it has one host candidate per
  leg socket (public, or behind a static 1:1 NAT the operator configures), puts
  `a=ice-lite` in its SDP, never sends checks and answers the client's. The client, a full
  agent, takes the controlling role (RFC 8445 section 6.1.1: a full agent facing a lite
  one is always controlling), runs the checks and nominates with USE-CANDIDATE. The
  responder is C (csrc/ice_lite.c) on every leg socket, run by the engine's worker
  threads; `IceLiteResponder` is the same code for Python use. Consent freshness
  (RFC 7675) works the same way round: the client keeps checking every ~5 s; the
  responder answers and reports consent lost 30 s after the last valid check, and the
  leg then stops sending.
* Where the engine itself must be the **controlling full agent** - an outbound leg toward
  a peer that is itself lite (a media gateway or SBC announcing `a=ice-lite`, another
  ucserver), or a full peer that expects us to run checks - `ControllingIceAgent` wraps
  aioice (`aioice.Connection(ice_controlling=True)`): it gathers host (and, given a STUN
  server, server-reflexive) candidates, runs the checks, nominates (regular nomination,
  and always so toward a lite peer) and keeps consent fresh.

Limits of the aioice side, stated plainly
-----------------------------------------
* aioice opens and owns its own UDP sockets (one per host address, through asyncio).
  The engine's worker threads cannot receive on them, so a leg that uses
  `ControllingIceAgent` does not share the engine's leg socket: its media goes through
  aioice's `send`/`recv` on the asyncio loop (the Python path, fine for a gateway leg or
  two, not for conference fan-out). Handing the nominated 5-tuple to a C leg socket would
  need the socket itself, which aioice does not give up; that is not implemented.
* aioice keeps the connection only while its consent checks succeed
  (`Connection.query_consent` closes it after repeated failures), so the agent must stay
  open for the life of the leg.
* aioice gathers candidates on every interface address except 127.0.0.1 and ::1; a test
  on loopback has to point its host-address lookup at 127.0.0.1.
* The nominated pair is read from aioice's private `Connection._nominated` (aioice 0.13
  has no public accessor); a change there breaks `ControllingIceAgent.selected_pair`.

Credentials: ufrag and password are random ice-chars from `secrets` (RFC 8445 section
5.3: at least 24 bits of randomness in the ufrag, 128 in the password; RFC 8839 section
5.4: ufrag 4..256 characters, password 22..256).
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

import aioice

from uc_media._core import ICE_CONSENT_TIMEOUT, IceLiteResponder

__all__ = [
    "ICE_CONSENT_TIMEOUT",
    "ControllingIceAgent",
    "IceCredentials",
    "IceLiteResponder",
    "generate_password",
    "generate_ufrag",
]

# ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839 section 5.4): 6 bits per character.
ICE_CHARS = string.ascii_letters + string.digits + "+/"


def generate_ufrag(length: int = 8) -> str:
    """A random ice-ufrag: 8 characters carry 48 bits (RFC 8445 asks for >= 24)."""
    if not 4 <= length <= 256:
        raise ValueError(f"ice-ufrag length {length} (4..256)")
    return "".join(secrets.choice(ICE_CHARS) for _ in range(length))


def generate_password(length: int = 24) -> str:
    """A random ice-pwd: 24 characters carry 144 bits (RFC 8445 asks for >= 128)."""
    if not 22 <= length <= 256:
        raise ValueError(f"ice-pwd length {length} (22..256)")
    return "".join(secrets.choice(ICE_CHARS) for _ in range(length))


@dataclass(frozen=True)
class IceCredentials:
    """One side's a=ice-ufrag / a=ice-pwd."""

    ufrag: str
    pwd: str

    @classmethod
    def generate(cls) -> IceCredentials:
        return cls(generate_ufrag(), generate_password())

    def responder(self, remote: IceCredentials | None = None) -> IceLiteResponder:
        """An ICE-lite responder with these as the local credentials."""
        if remote is None:
            return IceLiteResponder(self.ufrag, self.pwd)
        return IceLiteResponder(self.ufrag, self.pwd, remote.ufrag, remote.pwd)


class ControllingIceAgent:
    """The engine as a controlling full ICE agent, over aioice (see the module notes).

    `await gather()` returns our candidates as SDP `a=candidate` values;
    `await connect(remote, candidates, remote_is_lite=...)` runs the checks and returns
    once a pair is nominated (raises ConnectionError otherwise); then `send`/`recv` carry
    the leg's datagrams and `selected_pair` gives (local, remote) addresses.
    """

    def __init__(
        self,
        local: IceCredentials | None = None,
        *,
        stun_server: tuple[str, int] | None = None,
        use_ipv6: bool = False,
    ) -> None:
        self.local = local or IceCredentials.generate()
        self.connection = aioice.Connection(
            ice_controlling=True,
            components=1,
            stun_server=stun_server,
            use_ipv6=use_ipv6,
            local_username=self.local.ufrag,
            local_password=self.local.pwd,
        )

    async def gather(self) -> list[str]:
        await self.connection.gather_candidates()
        return [c.to_sdp() for c in self.connection.local_candidates]

    async def connect(
        self, remote: IceCredentials, candidates: list[str], *, remote_is_lite: bool
    ) -> None:
        conn = self.connection
        conn.remote_username = remote.ufrag
        conn.remote_password = remote.pwd
        # A lite peer never nominates and never checks; aioice then uses regular
        # nomination (RFC 8445 section 8.1.1) instead of aggressive.
        conn.remote_is_lite = remote_is_lite
        for sdp in candidates:
            await conn.add_remote_candidate(aioice.Candidate.from_sdp(sdp))
        await conn.add_remote_candidate(None)  # end-of-candidates
        await conn.connect()

    @property
    def selected_pair(self) -> tuple[tuple[str, int], tuple[str, int]] | None:
        """((local host, port), (remote host, port)) of the nominated pair, or None."""
        pair = self.connection._nominated.get(1)  # aioice 0.13: no public accessor
        if pair is None:
            return None
        return (pair.local_addr, pair.remote_addr)

    async def send(self, data: bytes) -> None:
        await self.connection.send(data)

    async def recv(self) -> bytes:
        return await self.connection.recv()

    async def close(self) -> None:
        await self.connection.close()
