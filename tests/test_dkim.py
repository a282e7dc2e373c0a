"""DKIM signing and the envelope: every message feedtool sends (digest --send, digest --test,
the service's confirmation mails) reaches a real SMTP server on 127.0.0.1 signed, and the bytes
received verify with dkimpy against the public key (served by a fake DNS); MAIL FROM is
[smtp] return_path and EHLO carries [smtp] helo. Keys are made here: RSA with a small pure
Python generator (no openssl needed), Ed25519 with PyNaCl."""

from __future__ import annotations

import base64
import email
import secrets
from email import policy
from pathlib import Path

import dkim
import httpx
import nacl.signing
import pytest
from conftest import SmtpRecorder, free_port, running_smtp_server, send_args
from test_serve import SECRET, configure, start_service, stop_service, wait_for_mail

SELECTOR = "feed2025"
DOMAIN = "pan.example.com"  # the sample blog's From: newsletter@pan.example.com


class EnvelopeRecorder(SmtpRecorder):
    """Also records the name each client gave in EHLO/HELO."""

    def __init__(self):
        super().__init__()
        self.helos: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        self.helos.append(session.host_name)
        return await super().handle_DATA(server, session, envelope)


# Keys ------------------------------------------------------------------------------------------


def _der(tag: int, body: bytes) -> bytes:
    size = len(body)
    length = bytes([size]) if size < 128 else _long_length(size)
    return bytes([tag]) + length + body


def _long_length(size: int) -> bytes:
    raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _integer(value: int) -> bytes:
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _prime(bits: int) -> int:
    while True:
        candidate = secrets.randbits(bits) | (1 << (bits - 1)) | 1
        if all(candidate % p for p in (3, 5, 7, 11, 13, 17, 19, 23)) and _probably_prime(candidate):
            return candidate


def _probably_prime(n: int) -> bool:
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(20):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


_RSA_ALGORITHM = _der(0x30, bytes.fromhex("06092a864886f70d010101") + b"\x05\x00")


def rsa_key(bits: int = 1024, pkcs8: bool = True) -> tuple[bytes, str]:
    """(a PEM private key, PKCS#8 as openssl 3 writes it or PKCS#1; its DKIM DNS record)."""
    e = 65537
    while True:
        p, q = _prime(bits // 2), _prime(bits // 2)
        phi = (p - 1) * (q - 1)
        if p != q and phi % e and (p * q).bit_length() == bits:
            break
    n, d = p * q, pow(e, -1, phi)
    fields = (0, n, e, d, p, q, d % (p - 1), d % (q - 1), pow(q, -1, p))
    der = _der(0x30, b"".join(_integer(v) for v in fields))
    label = b"RSA PRIVATE KEY"
    if pkcs8:
        der = _der(0x30, _integer(0) + _RSA_ALGORITHM + _der(0x04, der))
        label = b"PRIVATE KEY"
    encoded = base64.encodebytes(der).replace(b"\n", b"\r\n")  # CRLF: a key saved on Windows
    pem = b"-----BEGIN " + label + b"-----\r\n" + encoded + b"-----END " + label + b"-----\r\n"
    public = _der(0x30, _RSA_ALGORITHM + _der(0x03, b"\0" + _der(0x30, _integer(n) + _integer(e))))
    return pem, f"v=DKIM1; k=rsa; p={base64.b64encode(public).decode()}"


def ed25519_key(pem: bool) -> tuple[bytes, str]:
    """(an Ed25519 private key, as openssl writes it (PKCS#8 PEM) or dknewkey; its DNS record)."""
    key = nacl.signing.SigningKey.generate()
    seed = bytes(key)
    if pem:
        der = bytes.fromhex("302e020100300506032b657004220420") + seed
        text = b"-----BEGIN PRIVATE KEY-----\n" + base64.encodebytes(der)
        text += b"-----END PRIVATE KEY-----\n"
    else:
        text = base64.b64encode(seed)
    public = base64.b64encode(bytes(key.verify_key)).decode()
    return text, f"v=DKIM1; k=ed25519; p={public}"


KEYS = {
    "rsa-pkcs8": lambda: rsa_key(pkcs8=True),
    "rsa-pkcs1": lambda: rsa_key(pkcs8=False),
    "ed25519-pem": lambda: ed25519_key(pem=True),
    "ed25519-dknewkey": lambda: ed25519_key(pem=False),
}


def fake_dns(record: str, selector: str = SELECTOR, domain: str = DOMAIN):
    """A dnsfunc for dkim.verify that knows one TXT record."""

    def lookup(name: bytes, timeout: float = 5) -> bytes | None:
        if name.decode().rstrip(".") == f"{selector}._domainkey.{domain}":
            return record.encode()
        return None

    return lookup


def install_key(blog: Path, key: bytes, *, mode: int = 0o600, extra: str = "") -> Path:
    """The key as .feedtool/dkim.key (with `mode`), and a [dkim] table naming it."""
    path = blog / ".feedtool" / "dkim.key"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(key)
    path.chmod(mode)
    with (blog / "feedtool.toml").open("a", encoding="utf-8") as config:
        config.write(
            f'\n[dkim]\ndomain = "{DOMAIN}"\nselector = "{SELECTOR}"\n'
            f'key_file = ".feedtool/dkim.key"\n{extra}'
        )
    return path


def set_smtp(blog: Path, lines: str) -> None:
    """Add keys to the sample blog's [smtp] table."""
    path = blog / "feedtool.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("[smtp]\n", f"[smtp]\n{lines}\n"), encoding="utf-8")


def signature_tags(raw: bytes) -> dict[str, str]:
    header = email.message_from_bytes(raw, policy=policy.default)["DKIM-Signature"]
    tags = (part.strip().split("=", 1) for part in "".join(str(header).split()).split(";"))
    return {name: value for name, value in tags if name}


# Signing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KEYS)
def test_digest_send_is_signed_from_return_path_with_helo(blog: Path, run, kind: str):
    key, record = KEYS[kind]()
    install_key(blog, key)
    set_smtp(blog, 'return_path = "bounces@pan.example.com"\nhelo = "mx.pan.example.com"')
    recorder = EnvelopeRecorder()
    with running_smtp_server(recorder) as port:
        result = run(*send_args(port, "--to", "a@example.com", "--to", "b@example.com"))
    assert result.exit_code == 0, result.output
    assert len(recorder.messages) == 2
    for mail_from, _, raw in recorder.messages:
        assert mail_from == "bounces@pan.example.com"
        assert dkim.verify(raw, dnsfunc=fake_dns(record))
        tags = signature_tags(raw)
        assert tags["d"] == DOMAIN and tags["s"] == SELECTOR and tags["c"] == "relaxed/relaxed"
        assert tags["a"] == ("rsa-sha256" if kind.startswith("rsa") else "ed25519-sha256")
        signed = tags["h"].lower().split(":")
        for name in ("from", "to", "subject", "date", "message-id", "mime-version"):
            assert name in signed
        assert {"list-unsubscribe", "list-unsubscribe-post", "content-type"} <= set(signed)
        # Tampered with, in the body or a signed header: no longer verifies.
        body_at = raw.index(b"\r\n\r\n")
        assert not dkim.verify(
            raw[:body_at] + raw[body_at:].replace(b"2025", b"2026", 1), dnsfunc=fake_dns(record)
        )
        assert not dkim.verify(
            raw.replace(b"\r\nSubject: ", b"\r\nSubject: RE: ", 1), dnsfunc=fake_dns(record)
        )
        # An added List-Unsubscribe (over-signed) breaks it too.
        assert not dkim.verify(
            raw[:body_at] + b"\r\nList-Unsubscribe: <https://evil.example>" + raw[body_at:],
            dnsfunc=fake_dns(record),
        )
        # Another key for the same selector does not verify it.
        assert not dkim.verify(raw, dnsfunc=fake_dns(KEYS[kind]()[1]))
    assert recorder.helos == ["mx.pan.example.com", "mx.pan.example.com"]
    assert key.decode().strip() not in result.output


def test_without_return_path_the_envelope_is_the_from_address(blog: Path, run):
    key, record = ed25519_key(pem=False)
    install_key(blog, key)
    recorder = EnvelopeRecorder()
    with running_smtp_server(recorder) as port:
        assert run(*send_args(port, "--to", "a@example.com")).exit_code == 0
    ((mail_from, _, raw),) = recorder.messages
    assert mail_from == "newsletter@pan.example.com" and dkim.verify(raw, dnsfunc=fake_dns(record))
    assert recorder.helos[0] and recorder.helos[0] != "mx.pan.example.com"  # smtplib's own


def test_a_test_send_is_signed(blog: Path, run, monkeypatch: pytest.MonkeyPatch):
    key, record = rsa_key()
    install_key(blog, key)
    recorder = EnvelopeRecorder()
    with running_smtp_server(recorder) as port:
        configure(blog, port, "https://news.example.com")
        monkeypatch.setenv("FEEDTOOL_SECRET", SECRET)
        result = run("digest", "--week", "2025-W34", "--test", "me@example.com")
    assert result.exit_code == 0, result.output
    ((_, rcpts, raw),) = recorder.messages
    assert rcpts == ["me@example.com"] and dkim.verify(raw, dnsfunc=fake_dns(record))
    assert "list-unsubscribe" in signature_tags(raw)["h"].lower()


def test_the_services_confirmation_mail_is_signed(blog: Path):
    key, record = ed25519_key(pem=True)
    install_key(blog, key)
    set_smtp(blog, 'return_path = "bounces@pan.example.com"')
    recorder = EnvelopeRecorder()
    with running_smtp_server(recorder) as smtp_port:
        port = free_port()
        configure(blog, smtp_port, f"http://127.0.0.1:{port}")
        child = start_service(blog, port)
        try:
            answer = httpx.post(
                f"http://127.0.0.1:{port}/subscribe", data={"email": "r@example.com"}
            )
            assert answer.status_code == 200
            wait_for_mail(recorder, 1)
        finally:
            stop_service(child)
    ((mail_from, rcpts, raw),) = recorder.messages
    assert rcpts == ["r@example.com"] and mail_from == "bounces@pan.example.com"
    assert dkim.verify(raw, dnsfunc=fake_dns(record))


def test_a_from_address_in_a_subdomain_is_aligned(blog: Path, run):
    key, record = ed25519_key(pem=False)
    install_key(blog, key)
    text = (blog / "feedtool.toml").read_text(encoding="utf-8")
    (blog / "feedtool.toml").write_text(
        text.replace(f'domain = "{DOMAIN}"', 'domain = "example.com"'), encoding="utf-8"
    )
    recorder = EnvelopeRecorder()
    with running_smtp_server(recorder) as port:
        assert run(*send_args(port, "--to", "a@example.com")).exit_code == 0
    ((_, _, raw),) = recorder.messages
    assert dkim.verify(raw, dnsfunc=fake_dns(record, domain="example.com"))


# Settings that cannot sign: a config error before anything is written or sent ------------------


def refused(blog: Path, run) -> str:
    """Run a send that must stop with a config error; nothing sent. Its output."""
    recorder = EnvelopeRecorder()
    with running_smtp_server(recorder) as port:
        result = run(*send_args(port, "--to", "a@example.com"))
    assert result.exit_code == 2, result.output
    assert recorder.messages == [] and "Traceback" not in result.output
    return result.output


def test_a_missing_key_file_is_a_config_error(blog: Path, run):
    install_key(blog, ed25519_key(pem=False)[0])
    (blog / ".feedtool" / "dkim.key").unlink()
    assert "dkim.key: the DKIM key ([dkim] key_file) does not exist" in refused(blog, run)


@pytest.mark.parametrize("mode", [0o640, 0o604], ids=oct)
def test_a_key_others_can_read_is_a_config_error(blog: Path, run, mode: int):
    key, _ = rsa_key()
    install_key(blog, key, mode=mode)
    output = refused(blog, run)
    assert f"dkim.key: others can read the DKIM private key (mode {mode:o})" in output
    assert "chmod 600" in output and key.decode().splitlines()[1] not in output


def test_a_key_file_that_is_no_key_or_no_file_is_a_config_error(blog: Path, run):
    path = install_key(
        blog, b"-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"
    )
    assert "not an unencrypted PEM RSA or Ed25519 private key" in refused(blog, run)
    path.unlink()
    path.mkdir(mode=0o700)
    assert "dkim.key: cannot read the DKIM key" in refused(blog, run)


def test_a_short_rsa_key_is_a_config_error(blog: Path, run):
    install_key(blog, rsa_key(bits=512)[0])
    assert "the RSA key has 512 bits; receivers want at least 1024" in refused(blog, run)


def test_a_domain_that_does_not_cover_the_from_address_is_a_config_error(blog: Path, run):
    install_key(blog, ed25519_key(pem=False)[0])
    text = (blog / "feedtool.toml").read_text(encoding="utf-8")
    (blog / "feedtool.toml").write_text(
        text.replace(f'domain = "{DOMAIN}"', 'domain = "other.example.com"'), encoding="utf-8"
    )
    output = refused(blog, run)
    assert "dkim.domain: other.example.com does not cover the From address" in output
    assert "newsletter@pan.example.com" in output and "feedtool.toml:" in output


def test_dkim_and_envelope_settings_are_checked(blog: Path, run):
    install_key(blog, ed25519_key(pem=False)[0])
    config = blog / "feedtool.toml"
    original = config.read_text(encoding="utf-8")
    config.write_text(original.replace(f'selector = "{SELECTOR}"\n', ""), encoding="utf-8")
    assert "[dkim] needs selector" in refused(blog, run)
    config.write_text(original.replace(f'"{SELECTOR}"', '"a b"'), encoding="utf-8")
    assert "dkim.selector: expected a domain name" in refused(blog, run)
    config.write_text(original, encoding="utf-8")
    set_smtp(blog, 'return_path = "Bounces <b@pan.example.com>"')
    assert "smtp.return_path: expected a bare address" in refused(blog, run)
    config.write_text(original, encoding="utf-8")
    set_smtp(blog, 'helo = "not a name"')
    assert "smtp.helo: expected a domain name" in refused(blog, run)
