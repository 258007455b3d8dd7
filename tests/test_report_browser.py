"""The published report in a real browser (Debian's headless Chromium, one for the whole module): the pages load
from file:// with no console error and no request but their own, the filters work, the page reads without
JavaScript, nothing from a feed runs, and screenshots at desktop and phone width are written for people to look
at (under the test's tmp_path)."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import CHROMIUM, Browser
from tests.conftest import HomeDir
from tests.reportstate import build

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium; .ci/run does)"
)

VISIBLE = "[...document.querySelectorAll('tr[data-milestone]')].filter(tr => tr.offsetParent !== null)" \
    ".map(tr => tr.dataset.milestone)"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with Browser() as b:
        yield b


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def choose(page: object, select: str, value: str) -> list[str]:
    """Pick `value` in the filter `select` as a person would (the change event fires); the rows shown after."""
    page.eval(  # type: ignore[attr-defined]
        f"(() => {{ const s = document.getElementById({select!r}); s.value = {value!r};"
        " s.dispatchEvent(new Event('change', {bubbles: true})); })()"
    )
    return page.eval(VISIBLE)  # type: ignore[attr-defined,no-any-return]


def test_the_report_in_a_browser(home: HomeDir, tmp_path: Path, browser: Browser) -> None:
    build(home.path)
    site = tmp_path / "site"
    r = home.cli("report", "--out", str(site))
    assert r.exit_code == 0, r.stderr
    index = site / "index.html"
    from monitor import config
    from monitor.home import Home

    # the page lists the milestones agreement by agreement, each in config order
    defs = config.load(Home(home.path)).definitions
    agreements = [a.id for a in defs.agreements]
    everything = [m.id for m in sorted(defs.milestones, key=lambda m: agreements.index(m.agreement))]
    total = len(everything)

    desk = browser.page(1280, 900)
    url = desk.open(index)
    assert desk.console_errors() == []
    assert desk.requests() == [url]  # nothing fetched but the page itself
    assert desk.eval("document.getElementById('filters').hidden") is False
    assert desk.eval(VISIBLE) == everything
    assert desk.eval("document.getElementById('filter-count').textContent") == f"All {total} milestones shown"

    japan = choose(desk, "f-country", "JP")
    assert japan == [i for i in everything if i.startswith("jp-")]
    assert desk.eval("[...document.querySelectorAll('section[data-agreement]')].filter(s => !s.hidden).length") == 2
    assert choose(desk, "f-status", "complete") == ["jp-minerals-ministerial"]
    assert desk.eval("document.getElementById('filter-count').textContent") == f"1 of {total} milestones shown"
    assert choose(desk, "f-deadline", "overdue") == []
    assert desk.eval("getComputedStyle(document.getElementById('filter-empty')).display") != "none"
    desk.eval("document.getElementById('filters').reset()")
    desk.eval("new Promise(r => setTimeout(r, 10))", await_promise=True)
    assert desk.eval(VISIBLE) == everything
    state = {m["id"]: m["deadline_state"] for m in home.json("milestones")}  # type: ignore[index, union-attr]
    assert choose(desk, "f-deadline", "overdue") == [i for i in everything if state[i] == "overdue"]
    assert "jp-projects-financed" in state and state["jp-projects-financed"] == "overdue"
    assert choose(desk, "f-country", "TH") == ["th-full-agreement"]
    desk.eval("document.getElementById('filters').reset()")
    shot = desk.screenshot(tmp_path / "report-desktop.png")
    assert png_size(shot)[0] == 1280 and png_size(shot)[1] > 2000

    phone = browser.page(390, 844, mobile=True)
    phone.open(index)
    assert phone.console_errors() == []
    # nothing wider than the screen: the timeline scrolls inside its own box
    assert phone.eval("document.documentElement.scrollWidth") <= 390
    shot = phone.screenshot(tmp_path / "report-phone.png")
    assert png_size(shot)[0] == 390

    # a milestone page, with the hostile evidence on it: it loads clean and nothing of the feed runs
    page = browser.page(1280, 900)
    url = page.open(site / "milestones" / "jp-minerals-ministerial.html")
    assert page.console_errors() == [] and page.requests() == [url]
    assert page.eval("document.querySelectorAll('script').length") == 0
    assert page.eval("document.querySelectorAll('ol.evidence img, ol.evidence svg, ol.evidence script').length") == 0
    assert "<script>alert" in page.eval("document.querySelector('ol.evidence').textContent")  # shown as text
    assert not [e for e in browser.events if e["method"] == "Page.javascriptDialogOpening"]
    page.screenshot(tmp_path / "milestone-desktop.png")

    # without JavaScript: no filter form, every milestone listed
    plain = browser.page(1280, 900, javascript=False)
    plain.open(index)
    assert plain.eval("document.getElementById('filters').hidden") is True
    assert plain.eval(VISIBLE) == everything


def test_the_checks_see_what_they_look_for(tmp_path: Path, browser: Browser) -> None:
    """The checker itself: a policy violation, a script error and a request elsewhere are each seen, so the empty
    lists above mean something."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'
        '</head><body><p style="color:red">x</p><img src="http://127.0.0.1:9/pixel.png"><script>nope()</script>'
        "</body></html>"
    )
    page = browser.page(800, 600)
    url = page.open(bad)
    errors = " | ".join(page.console_errors())
    assert "Content Security Policy" in errors and "style" in errors and "script" in errors
    loose = tmp_path / "loose.html"
    loose.write_text('<!DOCTYPE html><img src="http://127.0.0.1:9/pixel.png"><script>nope()</script>')
    url = page.open(loose)
    assert page.requests()[0] == url and "http://127.0.0.1:9/pixel.png" in page.requests()
    assert any("nope is not defined" in e for e in page.console_errors())
