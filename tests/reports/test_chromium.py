"""The written report opens in a real headless Chromium, offline, and the charts render.

Needs Debian's ``chromium`` (``scripts/test.sh`` installs it when run as root); the
tests are skipped, saying so, when no Chromium is found, except where
``VORONKA_REQUIRE_BROWSER`` is set (CI), where that is an error. Name resolution is switched off
(``--host-resolver-rules``) so anything the report tried to fetch from the network would
fail: the charts rendering proves the file is self-contained.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ._data import build_report

WIDTH, HEIGHT = 1280, 1400


def _find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


CHROMIUM = _find_chromium()
if CHROMIUM is None and os.environ.get("VORONKA_REQUIRE_BROWSER"):
    raise RuntimeError("VORONKA_REQUIRE_BROWSER is set (as in CI) but no Chromium was found")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no Chromium found (CI installs it with: "
        "apt-get update && apt-get install -y chromium fonts-dejavu-core)",
    ),
]


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=5000",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=True)


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> Path:
    return build_report("ru").write(tmp_path_factory.mktemp("chromium") / "отчёт.html")


def _section(dom: str, number: int) -> str:
    start = dom.index(f'id="section-{number}"')
    end = dom.find('<section class="report-section"', start)
    return dom[start:] if end < 0 else dom[start:end]


def test_charts_render_in_chromium(report_file, tmp_path):
    dom = _chromium(tmp_path, "--dump-dom", report_file.as_uri()).stdout
    assert '<html lang="ru">' in dom
    funnel = _section(dom, 1)
    assert "js-plotly-plot" in funnel and 'class="main-svg"' in funnel
    assert "funnellayer" in funnel and 'class="trace bars"' in funnel
    assert "Знакомство" in funnel  # an axis label, drawn by plotly into the SVG
    # every one of the five figures became a plot
    for number in range(1, 6):
        assert 'class="main-svg"' in _section(dom, number), f"section {number} did not render"
    assert len(re.findall(r'class="plotly-figure js-plotly-plot"', dom)) == 5


def test_screenshot_is_not_blank(report_file, tmp_path):
    image_module = pytest.importorskip("PIL.Image", reason="Pillow is a dev dependency")
    png = tmp_path / "report.png"
    _chromium(
        tmp_path,
        f"--window-size={WIDTH},{HEIGHT}",
        "--hide-scrollbars",
        f"--screenshot={png}",
        report_file.as_uri(),
    )
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with image_module.open(png) as image:
        assert image.size == (WIDTH, HEIGHT)
        rgb = image.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 200, "almost a single colour: blank page"
    # the funnel's bars (#2f5d8a) are painted: plotly drew, not just the HTML frame
    bar_pixels = sum(count for count, colour in colours if colour == (0x2F, 0x5D, 0x8A))
    assert bar_pixels > 5000
