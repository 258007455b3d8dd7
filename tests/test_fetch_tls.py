"""https through the fetcher's own HTTP/1.1 client (sources/http1.py), against a real TLS server on 127.0.0.1 with a
certificate made for the test: a certificate the system does not trust is refused, one it trusts is used (SNI and
host name checked) for every feed, conditional GETs included."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import HomeDir, write_feeds
from tests.httpserver import Response, Server, rss

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[Server]:
    server = Server()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
    with server:
        yield server


def https(server: Server, path: str) -> str:
    return f"https://localhost:{server.httpd.server_address[1]}{path}"


def test_an_untrusted_certificate_is_refused(home: HomeDir, tls_server: Server) -> None:
    tls_server.routes["/feed"] = Response(body=rss(("Story", "text")))
    write_feeds(home, [{"id": "tls", "type": "rss", "url": https(tls_server, "/feed")}])
    report = json.loads(home.cli("poll", "--json").stdout)
    (feed,) = report["feeds"]
    assert feed["outcome"] == "error" and feed["error"].startswith("cannot connect: ")
    assert "CERTIFICATE_VERIFY_FAILED" in feed["error"]
    assert tls_server.requests == []


def test_a_trusted_certificate_is_used(
    home: HomeDir, tls_server: Server, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import monitor.sources.fetch

    trusting = ssl.create_default_context(cafile=str(certificate[0]))
    monkeypatch.setattr(monitor.sources.fetch.ssl, "create_default_context", lambda: trusting)
    for n in range(6):
        tls_server.routes[f"/f{n}"] = Response(body=rss((f"Story {n}", "text")), etag=f'"t{n}"')
    write_feeds(home, [{"id": f"t{n}", "type": "rss", "url": https(tls_server, f"/f{n}")} for n in range(6)])
    first = json.loads(home.cli("poll", "--json", MONITOR_HTTP__PER_HOST="1").stdout)
    assert [f["outcome"] for f in first["feeds"]] == ["new"] * 6, first
    second = json.loads(home.cli("poll", "--json", MONITOR_HTTP__PER_HOST="1").stdout)
    assert [f["outcome"] for f in second["feeds"]] == ["not_modified"] * 6
    assert all(h["host"] == f"localhost:{tls_server.httpd.server_address[1]}" for _, h in tls_server.requests)
