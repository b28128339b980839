"""Fuzz the STUN parser and the ICE-lite responder with raw bytes and with genuine,
signed Binding requests that have fuzzer-chosen bytes flipped or cut. Any exception other
than a MediaError subclass is a bug, and so is a response that does not parse or whose
FINGERPRINT does not verify.

    python fuzz/fuzz_stun.py -atheris_runs=20000
"""

import sys

import atheris  # type: ignore[import-untyped]

with atheris.instrument_imports(include=["uc_media"]):
    import uc_media.stun  # noqa: F401  (instrumented: the Python side of StunMessage)
    from uc_media import IceLiteResponder, MediaError, StunAttr, StunClass, StunMessage, StunMethod

LOCAL_UFRAG, LOCAL_PWD = "srvU", "serverpasswordserverpass"
REMOTE_UFRAG, REMOTE_PWD = "cliU", "clientpasswordclientpass"
SOURCES = [("192.0.2.1", 3478), ("2001:db8::1", 5000)]


def genuine_request(fdp: atheris.FuzzedDataProvider) -> bytes:
    """A Binding request as a controlling agent signs it, then mutated."""
    msg = StunMessage(StunMethod.BINDING, StunClass.REQUEST, fdp.ConsumeBytes(12).ljust(12, b"\0"))
    msg.add(StunAttr.USERNAME, f"{LOCAL_UFRAG}:{REMOTE_UFRAG}".encode())
    msg.add_u32(StunAttr.PRIORITY, fdp.ConsumeUInt(4))
    msg.add_u64(StunAttr.ICE_CONTROLLING if fdp.ConsumeBool() else StunAttr.ICE_CONTROLLED, fdp.ConsumeUInt(8))
    if fdp.ConsumeBool():
        msg.add(StunAttr.USE_CANDIDATE)
    for _ in range(fdp.ConsumeIntInRange(0, 2)):
        msg.add(fdp.ConsumeUInt(2), fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 12)))
    packet = bytearray(msg.encode(integrity_key=LOCAL_PWD.encode(), fingerprint=fdp.ConsumeBool()))
    for _ in range(fdp.ConsumeIntInRange(0, 3)):
        packet[fdp.ConsumeIntInRange(0, len(packet) - 1)] ^= fdp.ConsumeIntInRange(1, 255)
    return bytes(packet[: fdp.ConsumeIntInRange(0, len(packet))] if fdp.ConsumeBool() else packet)


@atheris.instrument_func
def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    packet = genuine_request(fdp) if fdp.ConsumeBool() else fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 300))
    try:
        msg = StunMessage.parse(packet)
    except MediaError:
        pass
    else:
        # Whatever parses re-serialises to an equal message; typed views never raise.
        assert StunMessage.parse(bytes(msg)) == msg
        _ = (msg.username, msg.priority, msg.xor_mapped_address, msg.error_code, msg.unknown_attributes)
        try:
            msg.verify(integrity_key=LOCAL_PWD.encode(), fingerprint=True)
        except MediaError:
            pass
    responder = IceLiteResponder(LOCAL_UFRAG, LOCAL_PWD, REMOTE_UFRAG, REMOTE_PWD)
    out = responder.handle(packet, SOURCES[fdp.ConsumeIntInRange(0, 1)], fdp.ConsumeFloatInRange(0.0, 1e6))
    if out is not None:
        StunMessage.parse(out).verify(fingerprint=True)


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
