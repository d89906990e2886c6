"""The report in a real browser: headless Chromium (Debian's package) renders it without errors.

The setup installs chromium with apt-get when it is missing (CI starts from a fresh machine with
only Python, pip, git and apt). A measuring copy of the report gets a small script that records each
plot's rendered size and any script error in the DOM; `--dump-dom` reads them back. A screenshot at
1400 x 5000 must be a PNG of that size that is not blank.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from analysis.report import build_report
from tests.analysis.report_frames import sample_report_data

WINDOW = (1400, 5000)
MEASURE = """
<script>
window.__errors = [];
window.addEventListener("error", function (event) { window.__errors.push(String(event.message)); });
window.addEventListener("load", function () {
  var plots = Array.prototype.map.call(document.querySelectorAll("figure > svg"), function (svg) {
    var box = svg.getBoundingClientRect();
    return {section: svg.closest("section").id, width: box.width, height: box.height,
            shapes: svg.querySelectorAll("path, use, image, text").length};
  });
  var tables = Array.prototype.map.call(document.querySelectorAll("table.checks"), function (table) {
    return {width: table.scrollWidth, room: table.parentElement.clientWidth, rows: table.rows.length};
  });
  var out = document.createElement("pre");
  out.id = "measured";
  out.textContent = JSON.stringify({plots: plots, tables: tables, errors: window.__errors});
  document.body.appendChild(out);
});
</script>
"""


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.skip("chromium is not installed and cannot be installed here (needs apt-get as root)")
    environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update"], check=True, capture_output=True, env=environment, timeout=900)
    subprocess.run(
        ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
        check=True,
        capture_output=True,
        env=environment,
        timeout=1800,
    )
    found = shutil.which("chromium")
    assert found, "apt-get installed chromium but it is not on PATH"
    return found


@pytest.fixture(scope="module")
def chromium():
    return _chromium()


def _run(chromium: str, profile: Path, *arguments: str) -> subprocess.CompletedProcess:
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        *arguments,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, chromium):
    folder = tmp_path_factory.mktemp("report")
    report = build_report(sample_report_data())
    page = folder / "report.html"
    page.write_text(report.html, encoding="utf-8")
    measuring = folder / "measuring.html"
    measuring.write_text(report.html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    dom = _run(
        chromium,
        folder / "profile-dom",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--virtual-time-budget=5000",
        "--dump-dom",
        measuring.as_uri(),
    )
    screenshot = folder / "report.png"
    shot = _run(
        chromium,
        folder / "profile-shot",
        f"--screenshot={screenshot}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--hide-scrollbars",
        page.as_uri(),
    )
    return report, dom, shot, screenshot


def _measured(dom: subprocess.CompletedProcess) -> dict:
    match = re.search(r'<pre id="measured">(.*?)</pre>', dom.stdout, re.S)
    assert match, f"chromium did not run the page's load handler:\n{dom.stderr[-2000:]}"
    return json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def test_every_plot_renders_at_its_size(rendered):
    report, dom, _, _ = rendered
    measured = _measured(dom)
    sections = [plot["section"] for plot in measured["plots"]]
    assert sections == ["balance", "waterfall", "swimmer", "survival", "survival", "survival", "forest"]  # CSR order
    for plot, tag in zip(measured["plots"], re.findall(r"<svg[^>]*>", report.html)):
        width, height = (int(re.search(rf'{side}="(\d+)"', tag).group(1)) for side in ("width", "height"))
        assert width > 0 and height > 0
        # Drawn at the declared size, or scaled down to the page width keeping the aspect ratio.
        assert 0 < plot["width"] <= width + 1 and plot["width"] >= min(width, 1000)
        assert plot["height"] == pytest.approx(height * plot["width"] / width, rel=0.02)
        assert plot["shapes"] > 20, plot


def test_no_script_errors(rendered):
    _, dom, shot, _ = rendered
    assert _measured(dom)["errors"] == []
    for run in (dom, shot):
        console = [line for line in run.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
        assert console == []


def _png(path: Path) -> tuple[int, int, int, bytes]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    chunks, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        if kind == b"IDAT":
            chunks.append(data[offset + 8 : offset + 8 + length])
        offset += 12 + length
    channels = {2: 3, 6: 4, 0: 1, 4: 2}[colour]
    assert depth == 8
    return width, height, channels, zlib.decompress(b"".join(chunks))


def _unfilter_rows(raw: bytes, width: int, channels: int, rows: int) -> list[bytes]:
    """PNG rows with the filters undone (only the first `rows`; pure Python is slow)."""
    stride, previous, out = width * channels, bytearray(width * channels), []
    for row in range(rows):
        kind = raw[row * (stride + 1)]
        line = bytearray(raw[row * (stride + 1) + 1 : (row + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + predictor) & 0xFF
        out.append(bytes(line))
        previous = line
    return out


def test_screenshot_is_a_full_non_blank_page(rendered):
    _, _, shot, screenshot = rendered
    assert screenshot.exists(), shot.stderr[-2000:]
    width, height, channels, raw = _png(screenshot)
    assert (width, height) == WINDOW
    assert len(raw) == height * (width * channels + 1)
    # A blank page compresses to a few kilobytes; a page of tables and plots does not.
    assert screenshot.stat().st_size > 100_000
    # The dark header band, then the light page below it, and text drawn in the header.
    rows = _unfilter_rows(raw, width, channels, 400)
    left_edge = [sum(row[:3]) for row in rows]
    assert left_edge[20] < 200 and left_edge[-1] > 600
    colours_per_row = [len({row[i : i + 3] for i in range(0, len(row), channels)}) for row in rows[:200]]
    assert max(colours_per_row) > 10  # the title and provenance text are drawn


def test_the_table_of_checks_that_did_not_pass_fits_the_page(rendered):
    # Check names and failing rows are long unbroken words: they wrap inside their column.
    _, dom, _, _ = rendered
    (table,) = _measured(dom)["tables"]
    assert table["rows"] == 3  # header, the failed check, the warning
    assert table["width"] <= table["room"]
