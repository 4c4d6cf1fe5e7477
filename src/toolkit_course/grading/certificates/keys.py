"""The facilitator's Ed25519 key pair: made once, the private key readable by its owner only."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .format import CertificateError

PASSPHRASE_VARIABLE = "TOOLKIT_CERTIFICATE_KEY_PASSPHRASE"


def raw_public_key(public_key: Ed25519PublicKey) -> str:
    """The key's 32 bytes in base64: what the book's verification page imports with WebCrypto."""
    return base64.b64encode(public_key.public_bytes(serialization.Encoding.Raw,
                                                    serialization.PublicFormat.Raw)).decode("ascii")


def fingerprint(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    # The page "Check a certificate" computes the same: SHA-256 of the raw key, 32 hex digits in groups of 4.
    digest = hashlib.sha256(raw).hexdigest()[:32]
    return ":".join(digest[i:i + 4] for i in range(0, 32, 4))


def _passphrase() -> bytes | None:
    value = os.environ.get(PASSPHRASE_VARIABLE)
    return value.encode("utf-8") if value else None


def generate_keypair(private_path: Path, public_path: Path | None = None) -> tuple[Path, Path, str]:
    """Write a new private key (readable by its owner only) and its public key; never overwrite."""
    private_path = Path(private_path)
    public_path = Path(public_path or private_path.with_name(private_path.stem + ".pub.pem"))
    for path in (private_path, public_path):
        if path.exists():
            raise CertificateError(f"{path}: already exists; a key is never overwritten (move it away first)")
    key = Ed25519PrivateKey.generate()
    passphrase = _passphrase()
    encryption = (serialization.BestAvailableEncryption(passphrase) if passphrase
                  else serialization.NoEncryption())
    private_path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption))
    public_path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo))
    return private_path, public_path, fingerprint(key.public_key())


def load_private_key(path: Path) -> Ed25519PrivateKey:
    path = Path(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=_passphrase())
    except FileNotFoundError:
        raise CertificateError(f"{path}: private key not found (make one with `toolkit-course keygen`)") from None
    except (ValueError, TypeError) as exc:
        raise CertificateError(f"{path}: not a usable private key ({exc}); if it has a passphrase, "
                               f"set {PASSPHRASE_VARIABLE}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CertificateError(f"{path}: not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    path = Path(path)
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except FileNotFoundError:
        raise CertificateError(f"{path}: public key not found") from None
    except ValueError:
        raise CertificateError(f"{path}: not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise CertificateError(f"{path}: not an Ed25519 public key")
    return key
