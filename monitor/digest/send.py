"""SMTP at the edge: one connection per run, opened when the first message goes, with `smtp.security` none,
starttls or ssl (certificates verified against the system's CAs; SSL_CERT_FILE names another bundle), a login
when `smtp.username` is set (the password only from the environment variable `smtp.password_env` names), and
`smtp.timeout_s` on the connection and every reply.

Every failure is an SmtpError with one readable line. After the connection itself failed (refused, timeout, TLS,
login), later messages of the run fail at once with the same error rather than trying again; after a message
failed on a live connection (refused recipient, the server hung up mid-DATA) the next one opens a new connection.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from types import TracebackType

from ..errors import ConfigError, MonitorError
from ..settings import Smtp


class SmtpError(MonitorError):
    """Sending failed. `connection`: the connection (or login) failed, not only this message."""

    def __init__(self, message: str, *, connection: bool = False):
        super().__init__(message)
        self.connection = connection


def password_for(smtp: Smtp, environ: Mapping[str, str]) -> str | None:
    """The SMTP password when a username is set: from the environment variable `smtp.password_env`, which must
    then be set (ConfigError otherwise). None without a username."""
    if not smtp.username:
        return None
    value = environ.get(smtp.password_env)
    if not value:
        raise ConfigError(
            f"config/monitor.yaml: smtp.username is {smtp.username!r} but the environment variable "
            f"{smtp.password_env} (smtp.password_env) is not set"
        )
    return value


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(words.split())}".strip()


def describe(error: BaseException, smtp: Smtp) -> str:
    """One line for what went wrong talking to the server."""
    where = f"{smtp.host}:{smtp.port}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = "; ".join(f"{rcpt}: {_reply(code, text)}" for rcpt, (code, text) in error.recipients.items())
        return f"recipient refused by {where}: {refused}"
    if isinstance(error, smtplib.SMTPSenderRefused):
        return f"sender {error.sender} refused by {where}: {_reply(error.smtp_code, error.smtp_error)}"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"login as {smtp.username!r} refused by {where}: {_reply(error.smtp_code, error.smtp_error)}"
    if isinstance(error, smtplib.SMTPDataError):
        return f"message refused by {where}: {_reply(error.smtp_code, error.smtp_error)}"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return f"{where} closed the connection{': ' + str(error) if str(error) else ''}"
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return f"{where}: {error}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{where} answered {_reply(error.smtp_code, error.smtp_error)}"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"TLS with {where} failed: certificate not trusted ({error.verify_message or error.reason})"
    if isinstance(error, ssl.SSLError):
        return f"TLS with {where} failed: {error.reason or error}"
    if isinstance(error, TimeoutError | socket.timeout):
        return f"timeout after {smtp.timeout_s:g} s talking to {where}"
    if isinstance(error, ConnectionRefusedError):
        return f"cannot connect to {where}: connection refused"
    if isinstance(error, socket.gaierror):
        return f"cannot connect to {where}: unknown host ({error.strerror or error})"
    if isinstance(error, OSError):
        return f"cannot talk to {where}: {error.strerror or error}"
    return f"{where}: {error}"


SMTP_ERRORS = (smtplib.SMTPException, OSError)  # ssl.SSLError and socket errors are OSErrors


def connect(smtp: Smtp, password: str | None) -> smtplib.SMTP:
    """An open, secured and logged-in connection (SmtpError with connection=True otherwise)."""
    context = ssl.create_default_context()
    conn: smtplib.SMTP | None = None
    try:
        if smtp.security == "ssl":
            conn = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_s, context=context)
        else:
            conn = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s)
        conn.ehlo()
        if smtp.security == "starttls":
            if not conn.has_extn("starttls"):
                raise smtplib.SMTPNotSupportedError(
                    "the server does not offer STARTTLS (smtp.security: starttls); use ssl, or none on a "
                    "trusted network"
                )
            conn.starttls(context=context)
            conn.ehlo()
        if smtp.username:
            conn.login(smtp.username, password or "")
        return conn
    except SMTP_ERRORS as e:
        if conn is not None:
            _close(conn)
        raise SmtpError(describe(e, smtp), connection=True) from e


def _close(conn: smtplib.SMTP) -> None:
    try:
        conn.quit()
    except SMTP_ERRORS:
        with contextlib.suppress(*SMTP_ERRORS):
            conn.close()


class Mailer:
    """Sends the messages of one run over one connection (see the module's docstring)."""

    def __init__(self, smtp: Smtp, password: str | None):
        self.smtp = smtp
        self.password = password
        self._conn: smtplib.SMTP | None = None
        self._broken: SmtpError | None = None

    def send(self, message: EmailMessage, sender: str, recipient: str) -> None:
        """Send `message` to exactly `recipient` (the envelope; the headers are not read for recipients)."""
        if self._broken is not None:
            raise SmtpError(str(self._broken), connection=True)
        if self._conn is None:
            try:
                self._conn = connect(self.smtp, self.password)
            except SmtpError as e:
                self._broken = e
                raise
        try:
            self._conn.send_message(message, from_addr=sender, to_addrs=[recipient])
        except SMTP_ERRORS as e:
            if isinstance(e, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError | smtplib.SMTPSenderRefused):
                self._reset()  # the connection may be fine, but start the next message clean
            else:
                self._drop()
            raise SmtpError(describe(e, self.smtp)) from e

    def _reset(self) -> None:
        try:
            if self._conn is not None:
                self._conn.rset()
        except SMTP_ERRORS:
            self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(*SMTP_ERRORS):
                self._conn.close()
        self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            _close(self._conn)
        self._conn = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def probe(smtp: Smtp, password: str | None) -> str:
    """Connect, secure, log in and say goodbye, sending nothing: what worked, as one line (SmtpError otherwise)."""
    conn = connect(smtp, password)
    try:
        code, reply = conn.noop()
        if code != 250:
            raise SmtpError(f"{smtp.host}:{smtp.port} answered NOOP with {_reply(code, reply)}", connection=True)
    except SMTP_ERRORS as e:
        raise SmtpError(describe(e, smtp), connection=True) from e
    finally:
        _close(conn)
    secured = {"ssl": " over TLS", "starttls": " with STARTTLS", "none": " (not encrypted)"}[smtp.security]
    login = f", logged in as {smtp.username}" if smtp.username else ""
    return f"smtp: connected to {smtp.host}:{smtp.port}{secured}{login}"
