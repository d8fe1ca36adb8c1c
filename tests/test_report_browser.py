"""The report in a real headless Chromium: every chart draws, nothing is fetched, 10,000 claims open fast."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page
from support.browser import (
    ChromiumUnavailable,
    browser_page,
    chart_boxes,
    ensure_chromium,
    open_file,
    remote_requests,
)
from support.report import GENERATED, small_report, synthetic_report

from alerts.report import ReportData, render_report

OUTPUT = Path(__file__).resolve().parent / "output"
MAX_LOAD_MS = 2000  # issue 7: the 10,000-claim report opens in under 2 seconds


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's Chromium, installed when missing; the tests skip, saying why, only if that fails."""
    try:
        return ensure_chromium()
    except ChromiumUnavailable as err:
        pytest.skip(f"headless Chromium unavailable: {err}")


@pytest.fixture
def page(chromium: Path) -> Iterator[Page]:
    """A fresh browser page."""
    with browser_page() as opened:
        yield opened


def _write(request: pytest.FixtureRequest, data: ReportData) -> Path:
    """Render the report into the test's output folder."""
    folder = OUTPUT / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "report.html"
    path.write_text(render_report(data), encoding="utf-8")
    return path


def _screenshot(page: Page, path: Path) -> Path:
    """A full-page screenshot next to the report."""
    shot = path.with_name("report.png")
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000, "a screenshot of a drawn page is not a few bytes"
    return shot


def _assert_charts_drew(page: Page, expected: int) -> None:
    """Each chart has a visible box and drew axes with shapes inside it."""
    boxes = chart_boxes(page)
    assert len(boxes) == expected
    for box in boxes:
        assert box["width"] > 300 and box["height"] > 100, box
        assert box["drawnWidth"] > 100 and box["drawnHeight"] > 50, box
        assert box["shapes"] > 10, box


def test_small_report_draws_every_chart_and_fetches_nothing(
    request: pytest.FixtureRequest, page: Page
) -> None:
    path = _write(request, small_report())
    loaded = open_file(page, path)
    assert remote_requests(loaded) == []
    _assert_charts_drew(page, 2)  # the metric with one point has a value card instead
    assert page.get_by_role("img", name="Qwen downloads over time").count() == 1
    assert page.locator('.card[data-metric="qwen_app.mau_growth"]').inner_text().count("149%") == 1
    assert page.locator("td.evidence").first.inner_text().startswith('<script>alert("x")')
    assert page.evaluate("() => document.scripts.length") == 0
    _screenshot(page, path)


def test_empty_report_shows_no_data_yet(request: pytest.FixtureRequest, page: Page) -> None:
    path = _write(request, ReportData(GENERATED))
    open_file(page, path)
    assert "No data yet" in page.get_by_role("status").inner_text()
    _assert_charts_drew(page, 0)
    _screenshot(page, path)


def test_ten_thousand_claims_open_under_two_seconds(request: pytest.FixtureRequest, page: Page) -> None:
    data = synthetic_report(10_000)
    path = _write(request, data)
    loaded = open_file(page, path)
    print(f"10,000 claims: {path.stat().st_size} bytes, load event after {loaded.load_ms:.0f} ms")
    assert loaded.load_ms < MAX_LOAD_MS
    assert remote_requests(loaded) == []
    _assert_charts_drew(page, len(data.metrics))
    _screenshot(page, path)
