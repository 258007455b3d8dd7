"""A rendered digest as one e-mail: multipart/alternative (plain text, then HTML) with From, To, Subject, Date,
Message-ID, List-Unsubscribe and Auto-Submitted. Pure: the date and Message-ID are given.

Headers are built with the standard library's header classes (email.policy.default), which refuse CR and LF in a
value: nothing from a feed is put in a header anyway (the subject is counts and a date), and the recipient is the
subscriber's validated address. The envelope recipients are passed to SMTP separately (send.py), never read from
these headers."""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
from email.headerregistry import Address
from email.message import EmailMessage
from urllib.parse import quote

from ..errors import ConfigError
from .render import RenderedDigest, one_line

HEADERS_UNFOLDED = email.policy.default.clone(max_line_length=998)


def sender_address(from_setting: str) -> tuple[str, str]:
    """(display name, address) of the `smtp.from` setting ("Implementation Monitor <monitor@example.org>")."""
    if any(c in from_setting for c in "\r\n"):
        raise ConfigError(f"config/monitor.yaml: smtp.from: contains a line break: {from_setting!r}")
    name, addr = email.utils.parseaddr(from_setting)
    if not addr or "@" not in addr or addr.startswith("@") or addr.endswith("@"):
        raise ConfigError(f"config/monitor.yaml: smtp.from: not an e-mail address: {from_setting!r}")
    return name, addr


def new_message_id(from_setting: str) -> str:
    """A fresh Message-ID on the sender's domain: <random@domain>."""
    _, addr = sender_address(from_setting)
    return email.utils.make_msgid(idstring="digest", domain=addr.rpartition("@")[2])


def list_unsubscribe(from_setting: str, token: str | None, url: str | None) -> str | None:
    """The List-Unsubscribe value (RFC 2369): a mailto to the sender with the subject `unsubscribe <token>`, and
    the report host's URL when there is one; None without a token (a test digest to a non-subscriber)."""
    if not token:
        return None
    _, addr = sender_address(from_setting)
    links = [f"<mailto:{addr}?subject={quote('unsubscribe ' + token)}>"]
    if url:
        links.append(f"<{url}>")
    return ", ".join(links)


def build_message(
    rendered: RenderedDigest,
    *,
    from_setting: str,
    to_email: str,
    to_name: str | None,
    message_id: str,
    date: dt.datetime,
    unsubscribe: str | None,
    subject_prefix: str = "",
) -> EmailMessage:
    name, addr = sender_address(from_setting)
    user, _, domain = addr.rpartition("@")
    to_user, _, to_domain = to_email.rpartition("@")
    msg = EmailMessage()
    msg["From"] = Address(display_name=name, username=user, domain=domain)
    msg["To"] = Address(display_name=one_line(to_name or ""), username=to_user, domain=to_domain)
    msg["Subject"] = one_line(subject_prefix + rendered.subject)
    msg["Date"] = email.utils.format_datetime(date.astimezone(dt.UTC))
    msg["Message-ID"] = message_id
    if unsubscribe:
        msg["List-Unsubscribe"] = unsubscribe
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to a digest
    msg.set_content(rendered.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
    # Headers are written unfolded up to 998 characters (RFC 5322's limit): the default 78 would turn a long
    # List-Unsubscribe URI into an encoded word, which no mail client reads as a link. The bodies were encoded
    # above, 7-bit clean with 76-character lines.
    msg.policy = HEADERS_UNFOLDED
    return msg
