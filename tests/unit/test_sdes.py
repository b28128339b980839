"""RFC 4568 a=crypto parsing, building and key generation."""

from __future__ import annotations

import base64
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uc_media import (
    SRTP_SUITES,
    CryptoAttribute,
    MediaError,
    SdesError,
    SdesKey,
    UnsupportedError,
    UnsupportedSuiteError,
    generate_crypto_attribute,
    srtp_key_salt_length,
)
from uc_media.sdes import SUITE_KEY_SALT_LENGTHS

# RFC 4568 section 4's example line.
RFC_EXAMPLE = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4"


def test_rfc_example_fields_and_reserialisation() -> None:
    attr = CryptoAttribute.parse(RFC_EXAMPLE)
    assert attr.tag == 1
    assert attr.suite == "AES_CM_128_HMAC_SHA1_80"
    (key,) = attr.keys
    assert key.key_salt == base64.b64decode("PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR")
    assert key.lifetime == 2**20
    assert (key.mki, key.mki_length, key.mki_bytes) == (1, 4, b"\x00\x00\x00\x01")
    assert attr.session_params == ()
    assert attr.to_sdp() == RFC_EXAMPLE
    assert CryptoAttribute.parse(str(attr)) == attr


def test_prefixes_whitespace_and_session_params_preserved() -> None:
    value = "7 AES_CM_128_HMAC_SHA1_32\tinline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR  KDR=1 UNENCRYPTED_SRTCP"
    for text in (value, "crypto:" + value, "a=crypto:" + value + "\r\n"):
        attr = CryptoAttribute.parse(text)
        assert attr.tag == 7 and attr.suite == "AES_CM_128_HMAC_SHA1_32"
        assert attr.session_params == ("KDR=1", "UNENCRYPTED_SRTCP")
        assert attr.keys[0].lifetime is None and attr.keys[0].mki is None
    assert str(attr) == value.replace("\t", " ").replace("  ", " ")


def test_decimal_lifetime_and_unpadded_gcm_key() -> None:
    key = bytes(range(28))
    unpadded = base64.b64encode(key).decode().rstrip("=")
    attr = CryptoAttribute.parse(f"2 AEAD_AES_128_GCM inline:{unpadded}|1048576")
    assert attr.key_salt == key
    assert attr.keys[0].lifetime == 1048576 and not attr.keys[0].lifetime_as_power
    assert str(attr) == f"2 AEAD_AES_128_GCM inline:{base64.b64encode(key).decode()}|1048576"


def test_several_keys_need_mkis() -> None:
    k1 = base64.b64encode(bytes(30)).decode()
    k2 = base64.b64encode(bytes(range(30))).decode()
    attr = CryptoAttribute.parse(f"1 AES_CM_128_HMAC_SHA1_80 inline:{k1}|2^20|1:2;inline:{k2}|2^20|2:2")
    assert [k.mki for k in attr.keys] == [1, 2]
    with pytest.raises(UnsupportedError):
        attr.srtp_session("outbound")
    with pytest.raises(SdesError, match="MKI on each"):
        CryptoAttribute.parse(f"1 AES_CM_128_HMAC_SHA1_80 inline:{k1};inline:{k2}")
    with pytest.raises(SdesError, match="same MKI length"):
        CryptoAttribute.parse(f"1 AES_CM_128_HMAC_SHA1_80 inline:{k1}|1:2;inline:{k2}|2:3")


KEY30 = base64.b64encode(bytes(30)).decode()


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("1 AES_CM_128_HMAC_SHA1_80", "tag, a suite"),
        ("x AES_CM_128_HMAC_SHA1_80 inline:" + KEY30, "tag"),
        ("1234567890 AES_CM_128_HMAC_SHA1_80 inline:" + KEY30, "tag"),
        ("1 AES-CM inline:" + KEY30, "suite name"),
        ("1 AES_CM_128_HMAC_SHA1_80 uri:" + KEY30, "inline"),
        ("1 AES_CM_128_HMAC_SHA1_80 inline:not*base64", "not base64"),
        ("1 AES_CM_128_HMAC_SHA1_80 inline:QUJD", "needs 30 bytes"),
        ("1 AEAD_AES_128_GCM inline:" + KEY30, "needs 28 bytes"),
        ("1 AES_CM_128_HMAC_SHA1_80 inline:" + KEY30 + "|2^99999999", "exceeds"),
        ("1 AES_CM_128_HMAC_SHA1_80 inline:" + KEY30 + "|1:200", "outside 1..128"),
        ("1 AES_CM_128_HMAC_SHA1_80 inline:" + KEY30 + "|256:1", "does not fit"),
        ("1 AES_CM_128_HMAC_SHA1_80 inline:" + KEY30 + "|1:4|2^20", "out of place"),
        ("1 AES_CM_128_HMAC_SHA1_80 inline:" + KEY30 + "|2^20|1:4|1:4", "too many"),
        ("1 AES_CM_128_HMAC_SHA1_80 inline:" + KEY30 + "|lifetime", "bad lifetime"),
    ],
)
def test_invalid_attributes(text: str, match: str) -> None:
    with pytest.raises(SdesError, match=match) as info:
        CryptoAttribute.parse(text)
    assert isinstance(info.value, ValueError) and isinstance(info.value, MediaError)


def test_unknown_suite_is_its_own_error() -> None:
    with pytest.raises(UnsupportedSuiteError) as info:
        CryptoAttribute.parse("1 AES_256_CM_HMAC_SHA1_80 inline:" + KEY30)
    assert isinstance(info.value, SdesError) and isinstance(info.value, UnsupportedError)


def test_suite_lengths_match_the_core() -> None:
    assert set(SUITE_KEY_SALT_LENGTHS) == set(SRTP_SUITES)
    for suite, length in SUITE_KEY_SALT_LENGTHS.items():
        assert srtp_key_salt_length(suite) == length


@pytest.mark.parametrize("suite", SRTP_SUITES)
def test_generated_keys_are_fresh_and_drive_sessions(suite: str) -> None:
    ours = generate_crypto_attribute(3, suite, mki=5, mki_length=1)
    assert ours.key_salt != generate_crypto_attribute(3, suite).key_salt
    assert len(ours.key_salt) == SUITE_KEY_SALT_LENGTHS[suite]
    # What we send, the peer parses and uses for its inbound session.
    theirs = CryptoAttribute.parse(ours.to_sdp())
    tx = ours.srtp_session("outbound")
    rx = theirs.srtp_session("inbound")
    packet = struct.pack("!BBHII", 0x80, 0, 1, 0, 9) + b"payload"
    protected = tx.protect(packet)
    # The 1-byte MKI sits before the tag (RFC 3711 section 3.1); for AES-GCM libsrtp 2.5
    # writes it after the AEAD ciphertext, whose last 16 bytes are the tag.
    assert (protected[-1] if suite == "AEAD_AES_128_GCM" else protected[len(packet)]) == 5
    assert rx.unprotect(protected) == packet


def test_sdes_key_validates_itself() -> None:
    with pytest.raises(SdesError):
        SdesKey(bytes(30), mki=1)
    with pytest.raises(SdesError):
        SdesKey(bytes(30), lifetime=1000)  # not a power of two, yet to be written as 2^n
    assert str(SdesKey(bytes(30), lifetime=1000, lifetime_as_power=False)).endswith("|1000")


@given(
    suite=st.sampled_from(SRTP_SUITES),
    tag=st.integers(0, 999_999_999),
    lifetime_exp=st.one_of(st.none(), st.integers(0, 48)),
    mki=st.one_of(st.none(), st.tuples(st.integers(1, 4), st.integers(0, 2**32 - 1))),
    params=st.lists(st.from_regex(r"[A-Z_]{1,8}(=[0-9]{1,3})?", fullmatch=True), max_size=3),
    data=st.data(),
)
def test_property_build_parse_round_trip(
    suite: str, tag: int, lifetime_exp: int | None, mki: tuple[int, int] | None, params: list[str], data: st.DataObject
) -> None:
    key_salt = data.draw(st.binary(min_size=SUITE_KEY_SALT_LENGTHS[suite], max_size=SUITE_KEY_SALT_LENGTHS[suite]))
    mki_length, mki_value = (None, None) if mki is None else (mki[0], mki[1] % 256 ** mki[0])
    key = SdesKey(key_salt, None if lifetime_exp is None else 2**lifetime_exp, True, mki_value, mki_length)
    attr = CryptoAttribute(tag, suite, (key,), tuple(params))
    assert CryptoAttribute.parse(attr.to_sdp()) == attr


@given(st.text(max_size=200))
def test_property_parser_raises_sdes_errors_only(text: str) -> None:
    try:
        CryptoAttribute.parse(text)
    except SdesError:
        pass
