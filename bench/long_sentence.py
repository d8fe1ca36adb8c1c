"""Claim extraction of one "sentence" of figures and quarters with no full stop, at 2 KB, 8 KB and 60 KB.

    .venv/bin/python bench/long_sentence.py

Prints one line a script can read:
    bench long_sentence: kb2_s=.. kb8_s=.. kb60_s=.. per_kb_ratio=..
per_kb_ratio is seconds per KB at 60 KB over seconds per KB at 2 KB (target: at most 2, near-linear).
Before issue 14 the clause owner of every period phrase was found again for every number: 2 KB took 12-17 s,
8 KB 55 s, 60 KB over 400 s. Exits 1 when the target is missed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from support.faults import figures_without_a_stop  # noqa: E402

from core.periods import LooseDate  # noqa: E402
from core.types import Document  # noqa: E402
from extractors.catalog import load_catalog  # noqa: E402
from extractors.claims import extract_claims  # noqa: E402

SIZES_KB = (2, 8, 60)
MAX_RATIO = 2.0  # seconds per KB may grow this much from 2 KB to 60 KB and still count as near-linear


def seconds(size_kb: int) -> float:
    """Wall time of extracting the claims of one sentence of ``size_kb`` KB."""
    document = Document(source="bench", text=figures_without_a_stop(size_kb * 1000),
                        published=LooseDate.parse("2026-01-10"))
    started = time.perf_counter()
    extract_claims(document)
    return time.perf_counter() - started


def main() -> int:
    """Run the benchmark and print the summary line."""
    load_catalog()
    spent = {kb: seconds(kb) for kb in SIZES_KB}
    ratio = (spent[60] / 60) / (spent[2] / 2)
    print(f"bench long_sentence: kb2_s={spent[2]:.2f} kb8_s={spent[8]:.2f} kb60_s={spent[60]:.2f} "
          f"per_kb_ratio={ratio:.2f}")
    return 0 if ratio <= MAX_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
