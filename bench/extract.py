"""Throughput of claim extraction against trafilatura's own time on the shared HTML corpus.

Prints one line a script can read:
    bench extract: docs=65 traf_dps=.. claims_dps=.. both_dps=.. overhead=..
overhead = claim-extraction time / bare trafilatura.extract time (target: at most 0.20).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import trafilatura

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.types import Document  # noqa: E402
from extractors.catalog import load_catalog  # noqa: E402
from extractors.claims import extract_claims  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "html"
ROUNDS = 3  # best of three runs, to keep noise from the shared machine out of the figures


def _best(fn, items: list) -> float:
    """The fastest of ROUNDS passes of fn over all items, in seconds."""
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for item in items:
            fn(item)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    """Run the benchmark and print the summary line."""
    pages = sorted(CORPUS.glob("*.html"))
    if not pages:
        print(f"bench extract: skipped, no HTML pages in {CORPUS}")
        return 0
    htmls = [p.read_text(encoding="utf-8", errors="replace") for p in pages]
    texts = [trafilatura.extract(h, include_tables=True) or "" for h in htmls]
    docs = [Document(source=p.stem, text=t) for p, t in zip(pages, texts, strict=True) if t]
    load_catalog()
    traf = _best(lambda h: trafilatura.extract(h, include_tables=True), htmls)
    claims = _best(extract_claims, docs)
    both = _best(
        lambda h: extract_claims(
            Document(source="b", text=trafilatura.extract(h, include_tables=True) or " ")
        ),
        htmls,
    )
    n = len(htmls)
    print(
        f"bench extract: docs={n} traf_dps={n / traf:.1f} claims_dps={len(docs) / claims:.1f} "
        f"both_dps={n / both:.1f} overhead={claims / traf:.3f} both_ratio={both / traf:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
