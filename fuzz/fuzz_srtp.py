"""Fuzz SRTP/SRTCP unprotect (every suite, raw and mutated genuine packets) and the SDES
a=crypto parser. Any exception other than a MediaError subclass is a bug.

    python fuzz/fuzz_srtp.py -atheris_runs=20000
"""

import base64
import struct
import sys

import atheris  # type: ignore[import-untyped]

with atheris.instrument_imports(include=["uc_media"]):
    import uc_media.sdes  # noqa: F401  (instrumented: the pure-Python SDES parser)
    from uc_media import SRTP_SUITES, CryptoAttribute, MediaError, SrtpSession, srtp_key_salt_length

KEYS = {suite: bytes(range(7, 7 + srtp_key_salt_length(suite))) for suite in SRTP_SUITES}


SDES_SUITES = [*SRTP_SUITES, "AES_256_CM_HMAC_SHA1_80", "F8_128_HMAC_SHA1_80", "AES_CM-128"]


def attribute_text(fdp: atheris.FuzzedDataProvider) -> str:
    """An a=crypto line built from fuzzer-chosen fields (some out of range), then possibly
    cut or with one character replaced: reaches every branch of the parser."""
    suite = SDES_SUITES[fdp.ConsumeIntInRange(0, len(SDES_SUITES) - 1)]
    key = base64.b64encode(fdp.ConsumeBytes(fdp.ConsumeIntInRange(26, 32))).decode()
    if fdp.ConsumeBool():
        key = key.rstrip("=")
    params = "inline:" + key
    if fdp.ConsumeBool():
        params += "|2^" + str(fdp.ConsumeIntInRange(0, 70)) if fdp.ConsumeBool() else "|" + str(fdp.ConsumeUInt(8))
    if fdp.ConsumeBool():
        params += f"|{fdp.ConsumeUInt(3)}:{fdp.ConsumeIntInRange(0, 130)}"
    if fdp.ConsumeBool():
        params += ";" + params
    session = " ".join(fdp.ConsumeUnicodeNoSurrogates(8).split()) if fdp.ConsumeBool() else ""
    text = f"a=crypto:{fdp.ConsumeIntInRange(0, 2_000_000_000)} {suite} {params} {session}"
    if fdp.ConsumeBool():
        text = text[: fdp.ConsumeIntInRange(0, len(text))]
    if fdp.ConsumeBool() and text:
        at = fdp.ConsumeIntInRange(0, len(text) - 1)
        text = text[:at] + fdp.ConsumeUnicodeNoSurrogates(1) + text[at + 1 :]
    return text


def fuzz_sdes(fdp: atheris.FuzzedDataProvider) -> None:
    text = fdp.ConsumeUnicodeNoSurrogates(300) if fdp.ConsumeBool() else attribute_text(fdp)
    try:
        attr = CryptoAttribute.parse(text)
    except MediaError:
        return
    # Whatever parses must re-serialise to an equal attribute and key a session.
    assert CryptoAttribute.parse(attr.to_sdp()) == attr
    try:
        attr.srtp_session("inbound")
    except MediaError:
        pass


def fuzz_unprotect(fdp: atheris.FuzzedDataProvider) -> None:
    suite = SRTP_SUITES[fdp.ConsumeIntInRange(0, len(SRTP_SUITES) - 1)]
    rtcp = fdp.ConsumeBool()
    mutate_genuine = fdp.ConsumeBool()
    inbound = SrtpSession(suite, KEYS[suite], "inbound")
    if mutate_genuine:
        # A genuine packet with fuzzer-chosen bytes flipped: reaches the crypto paths.
        outbound = SrtpSession(suite, KEYS[suite], "outbound")
        if rtcp:
            plain = struct.pack("!BBHI", 0x80, 201, 1, fdp.ConsumeUInt(4)) + fdp.ConsumeBytes(64)
            packet = bytearray(outbound.protect_rtcp(plain))
        else:
            header = struct.pack("!BBHII", 0x80, 111, fdp.ConsumeUInt(2), fdp.ConsumeUInt(4), fdp.ConsumeUInt(4))
            packet = bytearray(outbound.protect(header + fdp.ConsumeBytes(200)))
        for _ in range(fdp.ConsumeIntInRange(0, 4)):
            packet[fdp.ConsumeIntInRange(0, len(packet) - 1)] ^= fdp.ConsumeIntInRange(1, 255)
        packet = packet[: fdp.ConsumeIntInRange(0, len(packet))]
        data = bytes(packet)
    else:
        data = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 400))
    try:
        if rtcp:
            inbound.unprotect_rtcp(data)
        else:
            inbound.unprotect(data)
    except MediaError:
        pass
    batch = [bytearray(data), bytearray(data[::-1])]
    results = inbound.unprotect_rtcp_batch(batch) if rtcp else inbound.unprotect_batch(batch)
    assert all(r is None or isinstance(r, MediaError) for r in results)


@atheris.instrument_func
def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    if fdp.ConsumeBool():
        fuzz_sdes(fdp)
    else:
        fuzz_unprotect(fdp)


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
