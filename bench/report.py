"""Bench the HTML report: 10,000 synthetic claims rendered, then opened in headless Chromium.

Prints one line: ``report claims=10000 bytes=… render_s=… chromium_load_ms=…`` (load = navigation start
to the end of the load event, measured by the browser itself).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# the project before bench/ (bench/alerts.py would shadow the package); data and browser driver are in tests/
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from support.browser import browser_page, open_file, remote_requests  # noqa: E402
from support.report import synthetic_report  # noqa: E402

from alerts.report import render_report  # noqa: E402

OUTPUT = ROOT / "bench" / "output" / "report.html"
CLAIMS = 10_000  # issue 7: the report must stay under 5 MB and open in under 2 s at this size


def main() -> None:
    """Render, write, open, print the summary line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=CLAIMS)
    args = parser.parse_args()
    data = synthetic_report(args.claims)
    started = time.perf_counter()
    html = render_report(data)
    render_s = time.perf_counter() - started
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(html, encoding="utf-8")
    with browser_page() as page:
        loaded = open_file(page, OUTPUT)
    remote = len(remote_requests(loaded))
    print(f"report claims={args.claims} bytes={len(html.encode())} render_s={render_s:.2f} "
          f"chromium_load_ms={loaded.load_ms:.0f} remote_requests={remote}")  # fmt: skip


if __name__ == "__main__":
    main()
