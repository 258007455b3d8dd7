"""When two items are the same story: the same canonical link, or the same normalised headline."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .engine import match_form

TRACKING = {
    "fbclid",
    "gclid",
    "dclid",
    "ocid",
    "cmpid",
    "mc_cid",
    "mc_eid",
    "smid",
    "taid",
    "ref",
    "ref_src",
    "src",
    "sr_share",
    "ncid",
    "guccounter",
    "at_medium",
    "at_campaign",
    "igshid",
    "spm",
    "feature",
}
_PUBLISHER_SUFFIX = re.compile(r"\s+[-|–—]\s+[^-|–—]{2,60}$")


def canonical_link(url: str | None) -> str:
    """Scheme and host lower-cased, `www.` and fragments dropped, tracking parameters removed."""
    if not url:
        return ""
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in TRACKING
    ]
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(
        ("https" if parts.scheme in ("http", "https") else parts.scheme, host, path, urlencode(sorted(query)), "")
    )


def headline_key(title: str) -> str:
    """The headline without a trailing ' - Publisher' (news aggregators add one), as lower-case words."""
    stripped = _PUBLISHER_SUFFIX.sub("", title.strip())
    words = match_form(stripped).strip()
    return words if len(words) >= 12 else ""  # too short to identify a story on its own
