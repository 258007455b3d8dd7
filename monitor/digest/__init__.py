"""Digests by e-mail: what one subscriber's digest says (content: pure), how it reads (render: Jinja2 templates,
CSS inlined), the message (message: headers, multipart/alternative), SMTP (send), and the use cases that tie them
to the deliveries bookkeeping (run).

The stable entry points (the daemon and the CLI call them):

    from monitor.digest import send_digests, preview_digests
    report = send_digests(app, "weekly")            # DigestRunReport: per-subscriber results, report.failed
    preview_digests(app, "weekly", Path("out"))     # PreviewReport: <email>.eml / .html / .txt written
"""

from __future__ import annotations

from .run import DeliveryResult, DigestRunReport, Preview, PreviewReport, preview_digests, send_digests

__all__ = ["DeliveryResult", "DigestRunReport", "Preview", "PreviewReport", "preview_digests", "send_digests"]
