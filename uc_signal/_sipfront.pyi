# Typed stubs of uc_signal._sipfront (uc_signal/_sipfront.pyx), the C front of SIP over
# UDP (csrc/sip_front.c); built and configured by uc_signal.transport.challenge_front.

from typing import Any

PASS: int
ABSORB: int
ANSWER: int
RESEND: int
METHODS: tuple[str, ...]

class SipFront:
    answer: bytes | None
    dest_port: int
    enabled: bool
    def __init__(self, secret: bytes, tag_prefix: str, cache_entries: int = 8192,
                 cache_seconds: float = 4.0, seed: int = 0) -> None: ...
    def clear(self) -> None: ...
    def set_realm(self, realm: str, proxy: bool, templates: list[tuple[str, str]]) -> None: ...
    def exclude_uri(self, user_at_host: str) -> None: ...
    def handle(self, data: bytes, host: str, port: int, now: float) -> int: ...
    def counters(self) -> dict[str, Any]: ...
