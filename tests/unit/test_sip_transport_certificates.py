"""The self-signed TLS certificate: made once, reused, names as documented."""

from __future__ import annotations

import datetime
import ssl
from pathlib import Path

import pytest
from cryptography import x509

from uc_signal.transport import certificates, ensure_certificate, generate_self_signed, server_context
from uc_signal.transport.certificates import SELF_SIGNED_CERT, SELF_SIGNED_KEY


def test_generated_once_then_reused(tmp_path: Path) -> None:
    cert, key = ensure_certificate(None, None, tmp_path, "sip.example.org")
    assert (cert, key) == (tmp_path / SELF_SIGNED_CERT, tmp_path / SELF_SIGNED_KEY)
    first = cert.read_bytes(), key.read_bytes()
    assert ensure_certificate(None, None, tmp_path, "sip.example.org") == (cert, key)
    assert (cert.read_bytes(), key.read_bytes()) == first
    assert key.stat().st_mode & 0o777 == 0o600
    parsed = x509.load_pem_x509_certificate(first[0])
    assert parsed.subject.rfc4514_string().startswith("O=ucserver (self-signed),CN=sip.example.org")
    sans = parsed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["sip.example.org", "localhost"]
    assert isinstance(server_context(cert, key), ssl.SSLContext)


def test_an_ip_domain_becomes_an_ip_san(tmp_path: Path) -> None:
    generate_self_signed("192.0.2.5", tmp_path / "c.pem", tmp_path / "k.pem")
    parsed = x509.load_pem_x509_certificate((tmp_path / "c.pem").read_bytes())
    sans = parsed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["192.0.2.5", "127.0.0.1", "::1"]
    assert sans.get_values_for_type(x509.DNSName) == ["localhost"]


def _valid_for_800_days(cert: Path) -> bool:
    parsed = x509.load_pem_x509_certificate(cert.read_bytes())
    return parsed.not_valid_after_utc > datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=800)


def test_damaged_certificate_is_replaced(tmp_path: Path) -> None:
    cert, key = ensure_certificate(None, None, tmp_path, "a.example")
    cert.write_bytes(b"not a certificate")
    cert2, _ = ensure_certificate(None, None, tmp_path, "a.example")
    assert _valid_for_800_days(cert2)


def test_certificate_about_to_expire_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(certificates, "VALIDITY", datetime.timedelta(hours=12))
    cert, _ = ensure_certificate(None, None, tmp_path, "a.example")
    assert not _valid_for_800_days(cert)
    monkeypatch.undo()
    cert2, _ = ensure_certificate(None, None, tmp_path, "a.example")  # within a day of expiry
    assert _valid_for_800_days(cert2)


def test_configured_paths_win_and_must_come_in_pairs(tmp_path: Path) -> None:
    mine = (tmp_path / "mine.crt", tmp_path / "mine.key")
    assert ensure_certificate(*mine, tmp_path, "x") == mine
    assert not (tmp_path / SELF_SIGNED_CERT).exists()
    with pytest.raises(ValueError):
        ensure_certificate(mine[0], None, tmp_path, "x")
