"""The bridge's local certificate authority and its `localhost` certificate (`cryptography`).

Office add-ins load only over HTTPS, so the bridge serves https://localhost:PORT with a certificate
from a CA made for this install alone: created on first start in the bridge's folder, trusted once for
the current user by `install-addin`. The CA's key is kept in that folder (mode 0600) and used only to
issue the server certificate, which is renewed at start when it nears its end. The CA is limited to
server certificates for localhost and 127.0.0.1 (name constraints), so even a stolen key could not
vouch for another site.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from excel_addin.bridge.home import write_private

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

CA_CERT = "ca.crt"
CA_KEY = "ca.key"
SERVER_CERT = "localhost.crt"
SERVER_KEY = "localhost.key"
CA_DAYS = 3650
SERVER_DAYS = 397  # within what browsers accept for a server certificate
RENEW_BEFORE_DAYS = 30


@dataclass(frozen=True)
class Pki:
    ca_cert: Path
    server_cert: Path
    server_key: Path

    @property
    def ca_fingerprint(self) -> str:
        """SHA-1 thumbprint of the CA, as Windows' certificate store and macOS' `security` name it."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes

        cert = x509.load_pem_x509_certificate(self.ca_cert.read_bytes())
        return cert.fingerprint(hashes.SHA1()).hex().upper()  # an identifier, not a security check


def ensure_pki(home: Path, *, now: dt.datetime | None = None) -> Pki:
    """The CA (made if missing) and a valid server certificate (made or renewed if needed)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    ca_cert_path, ca_key_path = home / CA_CERT, home / CA_KEY
    if not (ca_cert_path.is_file() and ca_key_path.is_file()) or _expires_soon(ca_cert_path, now, 365):
        _make_ca(home, now)
    server_cert, server_key = home / SERVER_CERT, home / SERVER_KEY
    if (
        not (server_cert.is_file() and server_key.is_file())
        or _expires_soon(server_cert, now, RENEW_BEFORE_DAYS)
        or not _issued_by(server_cert, ca_cert_path)
    ):
        _make_server_cert(home, now)
    return Pki(ca_cert_path, server_cert, server_key)


def _expires_soon(path: Path, now: dt.datetime, days: int) -> bool:
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return True
    return cert.not_valid_after_utc - now < dt.timedelta(days=days)


def _issued_by(server_cert: Path, ca_cert: Path) -> bool:
    from cryptography import x509

    try:
        server = x509.load_pem_x509_certificate(server_cert.read_bytes())
        ca = x509.load_pem_x509_certificate(ca_cert.read_bytes())
        server.verify_directly_issued_by(ca)
    except (OSError, ValueError, TypeError, Exception):  # InvalidSignature is no ValueError
        return False
    return True


def _make_ca(home: Path, now: dt.datetime) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "docrelay Excel bridge (this computer only)"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "docrelay"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(
            x509.NameConstraints(
                permitted_subtrees=[
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_network("127.0.0.1/32")),
                ],
                excluded_subtrees=None,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_pair(home / CA_KEY, key, home / CA_CERT, cert)


def _write_pair(
    key_path: Path, key: ec.EllipticCurvePrivateKey, cert_path: Path, cert: x509.Certificate
) -> None:
    """A private key (PKCS#8 PEM) and its certificate (PEM), both readable by this user only."""
    from cryptography.hazmat.primitives import serialization

    write_private(
        key_path,
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )
    write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))


def _make_server_cert(home: Path, now: dt.datetime) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca_key = serialization.load_pem_private_key((home / CA_KEY).read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    ca = x509.load_pem_x509_certificate((home / CA_CERT).read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_pair(home / SERVER_KEY, key, home / SERVER_CERT, cert)


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    from cryptography.x509 import KeyUsage

    return KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )
