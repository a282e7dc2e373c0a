"""DKIM signatures (RFC 6376; Ed25519: RFC 8463) on every message feedtool sends.

The signature is made over the very bytes that go to the server (after smtplib has flattened
the message with CRLF line ends), so nothing between signing and sending can change them.
"""

from __future__ import annotations

import base64
import os
import re
import stat
from dataclasses import dataclass, field

import dkim
from dkim import crypto

from .config import Dkim
from .errors import ConfigError
from .files import read_regular_file
from .send import SendError

# What a reader sees and what one-click unsubscribe relies on (RFC 8058 3 asks that
# List-Unsubscribe and List-Unsubscribe-Post be signed).
SIGNED = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
    b"mime-version",
    b"content-type",
)
MIN_RSA_BITS = 1024  # verifiers refuse shorter keys (RFC 8301 3.2); 2048 is the usual size
_ED25519_PKCS8 = bytes.fromhex("302e020100300506032b657004220420")  # then the 32-byte seed
_PEM = re.compile(rb"-----BEGIN ([A-Z ]+)-----\s+(.+?)\s+-----END \1-----", re.DOTALL)


@dataclass(frozen=True)
class Signer:
    """Signs a message's bytes for `domain`; the key never appears in repr or messages."""

    domain: str
    selector: str
    algorithm: bytes  # b"rsa-sha256" or b"ed25519-sha256"
    key: bytes = field(repr=False)  # as dkim.sign takes it: PEM (RSA) or base64 seed (Ed25519)

    def __call__(self, message: bytes) -> bytes:
        """`message` with a DKIM-Signature header field on top. Each header in SIGNED is
        listed once more than it occurs, so that none can be added without breaking it."""
        signing = dkim.DKIM(message, signature_algorithm=self.algorithm)
        present = {name.lower() for name, _ in signing.headers}
        headers = [name for name in SIGNED if name in present] + list(SIGNED)
        try:
            signature = signing.sign(
                self.selector.encode(),
                self.domain.encode(),
                self.key,
                canonicalize=(b"relaxed", b"relaxed"),
                include_headers=headers,
            )
        except dkim.DKIMException as exc:
            raise SendError(f"cannot sign the message (DKIM): {exc}") from None
        return signature + message


def signer(settings: Dkim) -> Signer | None:
    """The signer of the `[dkim]` settings (None without them); ConfigError if its key file is
    missing, readable by others, or holds no key that signs."""
    if not settings.domain:
        return None
    path = settings.key_file
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        data = read_regular_file(path, follow_symlinks=True, limit=64 * 1024)
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: the DKIM key ([dkim] key_file) does not exist; docs/subscribers.md says "
            "how to make one"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the DKIM key: {exc.strerror or exc}") from None
    if mode & 0o077:
        raise ConfigError(
            f"{path}: others can read the DKIM private key (mode {mode:o}); run `chmod 600 {path}`"
        )
    algorithm, key = _parse_key(data, path)
    found = Signer(settings.domain, settings.selector, algorithm, key)
    try:  # a key dkimpy cannot use is a settings problem, found before any mail goes out
        found(b"From: <check@" + settings.domain.encode() + b">\r\n\r\n")
    except SendError:
        raise ConfigError(f"{path}: not a private key dkimpy can sign with") from None
    return found


def _parse_key(data: bytes, path: os.PathLike[str]) -> tuple[bytes, bytes]:
    """(algorithm, key as dkim.sign takes it) from a PEM RSA or Ed25519 private key (PKCS#1 or
    PKCS#8, as openssl writes them) or dknewkey's Ed25519 key (the base64 seed)."""
    wrong = ConfigError(
        f"{path}: not an unencrypted PEM RSA or Ed25519 private key, nor dknewkey's Ed25519 key"
    )
    text = data.strip()
    pem = _PEM.fullmatch(text)
    if pem is None:
        try:
            seed = base64.b64decode(text, validate=True)
        except ValueError:
            raise wrong from None
        if len(seed) != 32:
            raise wrong
        return b"ed25519-sha256", base64.b64encode(seed)
    try:
        der = base64.b64decode(pem.group(2))
    except ValueError:
        raise wrong from None
    if der.startswith(_ED25519_PKCS8) and len(der) == len(_ED25519_PKCS8) + 32:
        return b"ed25519-sha256", base64.b64encode(der[len(_ED25519_PKCS8) :])
    try:
        bits = crypto.parse_private_key(der)["modulus"].bit_length()
    except (crypto.UnparsableKeyError, IndexError, KeyError, TypeError):
        raise wrong from None
    if bits < MIN_RSA_BITS:
        raise ConfigError(
            f"{path}: the RSA key has {bits} bits; receivers want at least {MIN_RSA_BITS} "
            "(make one of 2048)"
        )
    # dkimpy reads PEM with LF line ends only: the key is passed on in that form.
    return b"rsa-sha256", b"-----BEGIN PRIVATE KEY-----\n" + base64.b64encode(
        der
    ) + b"\n-----END PRIVATE KEY-----\n"
