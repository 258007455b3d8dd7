"""Every file of the shared feeds corpus, served over HTTP with its `Header:` lines, in one poll cycle:
no crash, no hang, and each ends in stored items or a recorded error; never "zero items and no error" for a
document that is not a feed. The XXE files leave no trace of the local file or the loopback URL."""

from __future__ import annotations

import gzip
import json
import os
import re
import zlib
from pathlib import Path

import feedparser
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import HomeDir, write_feeds
from tests.httpserver import Response, Server

# The corpus lives beside the checkout (../shared/feeds-corpus from the repository root), or wherever
# MONITOR_FEEDS_CORPUS points; a path given in that variable must exist, it is never silently skipped.
CORPUS_ENV = "MONITOR_FEEDS_CORPUS"
BESIDE = Path(__file__).resolve().parents[2] / "shared" / "feeds-corpus"
CORPUS: Path | None = (
    Path(os.environ[CORPUS_ENV]) if os.environ.get(CORPUS_ENV) else BESIDE if BESIDE.is_dir() else None
)
NOT_DATA = {"README.md", "MANIFEST.tsv", "LICENSE.feedparser.txt"}
ENCODING = {".gz": "gzip", ".z": "deflate"}


def corpus_files() -> list[Path]:
    assert CORPUS is not None
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name not in NOT_DATA)


def decoded(body: bytes, suffix: str) -> bytes:
    """What the client sees after Content-Encoding is undone (the original bytes if that fails)."""
    for attempt in (lambda: gzip.decompress(body), lambda: zlib.decompress(body), lambda: zlib.decompress(body, -15)):
        if suffix in ENCODING:
            try:
                return attempt()
            except (OSError, zlib.error, EOFError):
                continue
    return body


def header_lines(body: bytes) -> tuple[int, dict[str, str]]:
    status, headers = 200, {}
    head = body[:3000].decode("latin-1")
    for name, value in re.findall(r"^Header:\s*([A-Za-z-]+):\s*(.*?)\s*$", head, re.M):
        if name.lower() == "status":
            status = int(value)
        else:
            headers[name] = value
    return status, headers


@pytest.mark.skipif(
    CORPUS is None, reason=f"feeds corpus not found: {CORPUS_ENV} is not set and {BESIDE} does not exist"
)
def test_every_corpus_file(home: HomeDir, server: Server) -> None:
    assert CORPUS is not None and CORPUS.is_dir(), f"{CORPUS_ENV}={CORPUS}: not a directory"
    files = corpus_files()
    assert len(files) > 1000
    feeds, expect_feed = [], {}
    for i, path in enumerate(files):
        rel = path.relative_to(CORPUS).as_posix()
        body = path.read_bytes()
        status, headers = header_lines(body)
        if "Location" in headers:
            headers["Location"] = "/http/status/target.xml"
        if path.suffix in ENCODING:
            headers["Content-Encoding"] = ENCODING[path.suffix]
        headers.setdefault("Content-Type", "application/json" if path.suffix == ".json" else "text/xml")
        server.routes[f"/{rel}"] = Response(status, body, headers)
        fid = f"c{i}"
        feeds.append({"id": fid, "type": "rss", "url": server.url(f"/{rel}")})
        parsed = feedparser.parse(
            decoded(body, path.suffix), response_headers={k.lower(): v for k, v in headers.items()}
        )
        expect_feed[fid] = (rel, bool(parsed.get("version")))
    write_feeds(home, feeds)
    r = home.cli("poll", "--json", MONITOR_HTTP__PER_HOST="16", MONITOR_HTTP__TIMEOUT_S="20")
    assert r.exit_code == 0, r.stderr
    report = json.loads(r.stdout)
    assert len(report["feeds"]) == len(files)

    url = home.env.get("MONITOR_DATABASE_URL") or f"sqlite:///{home.path}/db/monitor.sqlite3"
    engine = create_engine(url)
    with engine.connect() as c:
        stored: dict[str, int] = dict(c.execute(text("SELECT feed_id, count(*) FROM items GROUP BY feed_id")).all())
        blob = " ".join(str(v) for row in c.execute(text("SELECT title, text, html, link FROM items")) for v in row)
    engine.dispose()

    silent = []
    for f in report["feeds"]:
        rel, is_feed = expect_feed[f["id"]]
        if f["outcome"] == "error":
            assert f["error"], rel
        elif f["outcome"] == "not_modified":
            assert "304" in rel, rel
        elif stored.get(f["id"], 0) == 0 and not is_feed:
            silent.append(rel)
    assert silent == [], f"zero items and no error for documents that are not feeds: {silent}"
    assert "root:x:0" not in blob and "/etc/passwd" not in blob
    assert "127.0.0.1:9" not in blob and "evil.dtd" not in blob and "secret.txt" not in blob
    errors = [f for f in report["feeds"] if f["outcome"] == "error"]
    assert any(f["error"] == "empty body" for f in errors)
    assert len(stored) > 300 and sum(stored.values()) > 350  # measured: 382 items from 340 files
