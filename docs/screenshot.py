"""Make docs/report.png, the README's screenshot of the published report: a temporary home with the shipped
config and the tests' fixed state (without its hostile items), rendered by `monitor report` and captured in
headless Chromium at desktop width. Not run by the tests.

    python docs/screenshot.py   # docs/report.png, report-charts.png, report-phone.png

With pngquant on the PATH (Debian: apt-get install pngquant) the images are quantised to a palette, which makes
them a third of the size and looks the same.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from typer.testing import CliRunner  # noqa: E402

from monitor.cli import app  # noqa: E402
from tests.browser import Browser  # noqa: E402
from tests.reportstate import build  # noqa: E402

NOW = "2026-11-22T12:00:00+00:00"


def capture(
    browser: Browser, index: Path, width: int, height: int, out: Path, mobile: bool = False, start: str | None = None
) -> None:
    """`height` pixels of the page at `width`, from the top or from the element `start`."""
    page = browser.page(width, height, mobile=mobile)
    page.open(index)
    errors = page.console_errors()
    if errors:
        raise SystemExit(f"the page has errors: {errors}")
    top = page.eval(f"document.querySelector({start!r}).getBoundingClientRect().top + scrollY") if start else 0
    clip = {"x": 0, "y": top, "width": width, "height": height, "scale": 1}
    shot = page.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip})
    out.write_bytes(base64.b64decode(shot["data"]))
    if shutil.which("pngquant"):
        quantise = ["pngquant", "--force", "--skip-if-larger", "--quality", "70-95", "--output", str(out), str(out)]
        subprocess.run(quantise, check=False)
    print(f"{out.relative_to(REPO)}: {width}x{height}, {out.stat().st_size // 1024} KiB")


def main() -> None:
    os.environ["MONITOR_NOW"] = NOW
    os.environ["MONITOR_USER"] = "analyst"
    with tempfile.TemporaryDirectory() as tmp:
        home, site = Path(tmp) / "home", Path(tmp) / "site"
        runner = CliRunner()
        assert runner.invoke(app, ["init", str(home)]).exit_code == 0
        build(home, hostile=False)
        done = runner.invoke(app, ["--home", str(home), "report", "--out", str(site)])
        assert done.exit_code == 0, done.output
        with Browser() as browser:
            capture(browser, site / "index.html", 1280, 1000, REPO / "docs" / "report.png")
            capture(browser, site / "index.html", 1280, 1180, REPO / "docs" / "report-charts.png",
                    start="#timeline-h")
            capture(browser, site / "index.html", 390, 844, REPO / "docs" / "report-phone.png", mobile=True)


if __name__ == "__main__":
    main()
