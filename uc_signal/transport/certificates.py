"""The TLS server certificate: from configured paths, or self-signed on first run.

Without a configured certificate and key, a self-signed pair is generated with
`cryptography` into the data directory and reused on every later start (so clients that
pinned it keep working) until it is within a day of expiry. Subject CN is the configured
domain; the SANs are the domain, `localhost`, 127.0.0.1 and ::1, so SIP over TLS and
WSS work on loopback and for the domain. Key: ECDSA P-256; validity: 825 days (the
longest CA/Browser Forum limit, so browsers accept it once trusted for WSS).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SELF_SIGNED_CERT = "sip-tls-selfsigned.crt"
SELF_SIGNED_KEY = "sip-tls-selfsigned.key"
VALIDITY = datetime.timedelta(days=825)
_RENEW_BEFORE = datetime.timedelta(days=1)


def subject_alt_names(domain: str) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for dns in dict.fromkeys([domain, "localhost"]):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(dns)))
        except ValueError:
            names.append(x509.DNSName(dns))
    names += [x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
              x509.IPAddress(ipaddress.ip_address("::1"))]
    return names


def generate_self_signed(domain: str, cert_path: Path, key_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ucserver (self-signed)")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName(subject_alt_names(domain)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH,
                                              x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_path.parent.mkdir(parents=True, exist_ok=True)
    # The key is written readable by its owner only, before any byte of it lands on disk.
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _usable(cert_path: Path, key_path: Path) -> bool:
    if not (cert_path.is_file() and key_path.is_file()):
        return False
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except ValueError:
        return False
    return cert.not_valid_after_utc - _RENEW_BEFORE > datetime.datetime.now(datetime.timezone.utc)


def ensure_certificate(cert: Path | None, key: Path | None, data_dir: Path, domain: str) -> tuple[Path, Path]:
    """The (certificate, key) paths to serve: the configured ones, else the self-signed
    pair in `data_dir`, generated when missing, unreadable or about to expire."""
    if cert is not None and key is not None:
        return cert, key
    if (cert is None) != (key is None):
        raise ValueError("configure both the TLS certificate and its key, or neither")
    cert_path, key_path = data_dir / SELF_SIGNED_CERT, data_dir / SELF_SIGNED_KEY
    if not _usable(cert_path, key_path):
        generate_self_signed(domain, cert_path, key_path)
    return cert_path, key_path


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2  # RFC 8996: no TLS 1.0/1.1
    context.load_cert_chain(cert, key)
    # No TLS 1.3 session tickets: SIP connections are long-lived, so resumption buys
    # little, and clients built on older GnuTLS (sipsak 0.9.8) read the post-handshake
    # ticket as an empty message and give up.
    context.num_tickets = 0
    return context
