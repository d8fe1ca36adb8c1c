"""Real local servers for alert tests: SMTP (aiosmtpd), a Standard Webhooks receiver, a JSON receiver."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

LOOPBACK = "127.0.0.1"
POLL_INTERVAL = 0.02  # seconds; shutdown waits up to one poll, and tests start many servers


# ---------------------------------------------------------------- TLS


@dataclass(frozen=True)
class SelfSigned:
    """A self-signed certificate for 127.0.0.1 / localhost, written to files."""

    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        """A server-side TLS context using this certificate."""
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx


def make_cert(folder: Path) -> SelfSigned:
    """Generate a throwaway self-signed certificate valid for 127.0.0.1 and localhost."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(LOOPBACK))]
    san = x509.SubjectAlternativeName(names)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1)).add_extension(san, critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return SelfSigned(cert_path, key_path)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- SMTP


@dataclass
class Mailbox:
    """What the SMTP server received."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd API)
        """Store the message."""
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


class _Authenticator:
    """Accepts one user/password; a failed login answers with a message that echoes the password."""

    def __init__(self, user: str, password: str, box: Mailbox) -> None:
        self.user, self.password, self.box = user, password, box

    def __call__(self, server: SMTP, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, given = data.login.decode(), data.password.decode()
        if (user, given) == (self.user, self.password):
            self.box.logins.append(user)
            return AuthResult(success=True)
        # A careless server that repeats what it was sent: the client must scrub it.
        echo = f"535 5.7.8 bad password {given!r} for {user}"
        return AuthResult(success=False, handled=False, message=echo)


class _PortZeroController(Controller):
    """aiosmtpd's Controller, listening on a port the OS picks."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()

    def factory(self) -> SMTP:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # AUTH without STARTTLS is fine over implicit TLS
            return super().factory()


@contextmanager
def smtp_server(security: str = "none", cert: SelfSigned | None = None, auth: tuple[str, str] | None = None,
                port: int = 0) -> Iterator[tuple[_PortZeroController, Mailbox]]:
    """A running SMTP server on 127.0.0.1 (port 0: any free one); "none", "starttls" or "ssl"; AUTH."""
    box = Mailbox()
    kwargs: dict[str, Any] = {}
    if security == "starttls":
        kwargs.update(tls_context=cert.server_context(), require_starttls=True)  # type: ignore[union-attr]
    if security == "ssl":
        kwargs.update(ssl_context=cert.server_context())  # type: ignore[union-attr]
    if auth:
        kwargs.update(authenticator=_Authenticator(*auth, box), auth_required=True,
                      auth_require_tls=security == "starttls")  # aiosmtpd cannot tell implicit TLS
    controller = _PortZeroController(box, hostname=LOOPBACK, port=port, **kwargs)
    controller.start()
    try:
        yield controller, box
    finally:
        controller.stop()


# ---------------------------------------------------------------- HTTP receivers


@dataclass
class Received:
    """One request the receiver got."""

    headers: dict[str, str]
    body: bytes
    verified: Any = None  # the payload, when the signature checked out
    error: str | None = None  # why verification failed
    hold: float = 0.0  # seconds the answer was held (Behaviour.stall_at)


@dataclass
class Behaviour:
    """How the receiver answers; tests flip these while it runs."""

    status: int = 204
    delay: float = 0.0  # seconds to sleep before answering (to provoke client timeouts)
    fail_first: int = 0  # answer 500 to this many requests, then `status`
    stall_at: int = 0  # hold only the request with this number (1 for the first; 0: none) for `stall` seconds
    stall: float = 60.0


class Receiver(ThreadingHTTPServer):
    """A local HTTP server that records POSTs and, given a secret, verifies Standard Webhooks signatures."""

    daemon_threads = True

    def __init__(self, secret: str | None = None) -> None:
        super().__init__((LOOPBACK, 0), _Handler)
        self.secret = secret
        self.behaviour = Behaviour()
        self.received: list[Received] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        """The receiver's base URL."""
        return f"http://{LOOPBACK}:{self.server_address[1]}"

    def record(self, headers: dict[str, str], body: bytes) -> int:
        """Store one request and decide the status code to answer."""
        item = Received(headers, body)
        if self.secret is not None:
            try:
                item.verified = Webhook(self.secret).verify(body, headers)
            except WebhookVerificationError as exc:
                item.error = str(exc)
        else:
            item.verified = json.loads(body)
        with self.lock:
            self.received.append(item)
            failing = len(self.received) <= self.behaviour.fail_first
            item.hold = self.behaviour.stall if len(self.received) == self.behaviour.stall_at else 0.0
        if item.error:
            return 401
        return 500 if failing else self.behaviour.status

    def payloads(self) -> list[Any]:
        """Payloads of verified requests, in arrival order."""
        with self.lock:
            return [r.verified for r in self.received if r.verified is not None]


class _Handler(BaseHTTPRequestHandler):
    """Reads a POST body, lets the server record it, answers as told."""

    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        status = self.server.record({k.lower(): v for k, v in self.headers.items()}, body)
        hold = self.server.received[-1].hold if self.server.received else 0.0
        if self.server.behaviour.delay or hold:
            time.sleep(self.server.behaviour.delay or hold)
        try:
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting: that is what a timeout test provokes

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@contextmanager
def receiver(secret: str | None = None) -> Iterator[Receiver]:
    """A running Receiver in a thread."""
    server = Receiver(secret)
    thread = threading.Thread(target=server.serve_forever, args=(POLL_INTERVAL,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
