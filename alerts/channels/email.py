"""The ``email`` channel: SMTP with SSL or STARTTLS, optional AUTH, multipart plain text and HTML."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from alerts.channels.base import NotifierBase
from alerts.compose import Message
from alerts.secrets import SecretResolver
from core.config import EmailChannel
from core.errors import ConfigError


class EmailNotifier(NotifierBase):
    """Email over SMTP: SSL or STARTTLS, optional AUTH, multipart plain text and HTML."""

    model = EmailChannel
    channel: EmailChannel

    def __init__(self, channel: EmailChannel, resolve: SecretResolver) -> None:
        super().__init__(channel, resolve)
        self.password = self.secret(channel.password) if channel.password else None
        if channel.username and self.password is None:
            raise ConfigError(f"channel {channel.name}: username is set but no password secret")

    def build(self, message: Message) -> EmailMessage:
        """The MIME message; its Message-ID derives from the idempotency key."""
        mail = EmailMessage()
        mail["Subject"] = message.subject
        mail["From"] = self.channel.sender
        mail["To"] = ", ".join(self.channel.recipients)
        mail["Date"] = formatdate(localtime=False, usegmt=True)
        domain = self.channel.sender.rpartition("@")[2].strip("> ") or "claimwatch.invalid"
        mail["Message-ID"] = f"<{message.key}@{domain}>"
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        return mail

    def connect(self) -> smtplib.SMTP:
        """An open SMTP session, secured and logged in as configured."""
        c = self.channel
        context = ssl.create_default_context(cafile=c.ca_file)
        if c.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=context)
        else:
            smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
        try:
            if c.security == "starttls":
                smtp.starttls(context=context)
            if c.username and self.password is not None:
                smtp.login(c.username, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: Message) -> None:
        """Send the message to every recipient."""
        try:
            smtp = self.connect()
            with smtp:
                smtp.send_message(self.build(message))
        except smtplib.SMTPAuthenticationError as exc:
            raise self.fail(f"SMTP authentication failed: {exc.smtp_code} {_text(exc.smtp_error)}",
                            transient=False) from None
        except smtplib.SMTPResponseException as exc:
            raise self.fail(f"SMTP server answered {exc.smtp_code} {_text(exc.smtp_error)}",
                            transient=exc.smtp_code < 500) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise self.fail(f"SMTP {self._where()} does not support what is configured: {exc}",
                            transient=False) from None
        except smtplib.SMTPRecipientsRefused as exc:
            refused = ", ".join(exc.recipients)
            raise self.fail(f"SMTP recipients refused: {refused}", transient=False) from None
        except TimeoutError:
            raise self.fail(f"SMTP {self._where()} timed out after {self.channel.timeout:g}s") from None
        except ssl.SSLError as exc:
            reason = exc.reason or exc
            raise self.fail(f"TLS with {self._where()} failed: {reason}", transient=False) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise self.fail(f"SMTP {self._where()} unreachable: {exc}") from None

    def _where(self) -> str:
        """host:port for messages."""
        return f"{self.channel.host}:{self.channel.port}"


def _text(raw: bytes | str) -> str:
    """An SMTP reply as text."""
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
