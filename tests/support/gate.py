"""The accuracy gate: the labelled corpus's measured precision, recall and F1, pinned with digests.

Like trafilatura's evaluation gate, the figures the extractor reaches on tests/data/articles are written to
tests/data/accuracy_gate.yaml together with a digest of the corpus (gold and articles), a digest of the
extractor's output on it, and the EXTRACTOR_VERSION that produced it. tests/test_accuracy_gate.py fails when
the corpus or the output no longer match the pins, or when a figure falls more than TOLERANCE below them.

Re-pin after a deliberate change with ``make gate`` (``python tests/support/gate.py --update``). Pinning
refuses to write a changed output under an unchanged EXTRACTOR_VERSION, and refuses lower figures unless
``--allow-lower`` is given.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from a checkout
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extractors.claims import EXTRACTOR_VERSION  # noqa: E402
from support.claims_gold import Score, find_doc, matching_rules, predict, score_predictions  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data"
GOLD = DATA / "articles_gold.yaml"
ARTICLES = DATA / "articles"
GATE = DATA / "accuracy_gate.yaml"
TOLERANCE = 0.005  # a figure may dip this far below its pin (rounding), never further


@dataclass(frozen=True)
class Pins:
    """What the gate file records."""

    extractor_version: str
    corpus_sha256: str
    output_sha256: str
    articles: int
    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int


def corpus_digest() -> str:
    """SHA-256 of the gold file and every article (name and bytes), in name order."""
    digest = hashlib.sha256(GOLD.read_bytes())
    for path in sorted(ARTICLES.iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def measure() -> Pins:
    """Run the extractor over the corpus: the figures and digests to compare with the pins."""
    documents = yaml.safe_load(GOLD.read_text(encoding="utf-8"))["documents"]
    predictions = {i: predict(find_doc(ARTICLES, i), doc.get("published")) for i, doc in documents.items()}
    result = score_predictions(documents, predictions, matching_rules())
    output = hashlib.sha256(json.dumps(predictions, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return _pins(result, output, len(documents))


def _pins(result: Score, output: str, articles: int) -> Pins:
    """Pins from a score."""
    return Pins(
        EXTRACTOR_VERSION, corpus_digest(), output, articles, round(result.precision, 4),
        round(result.recall, 4), round(result.f1, 4), result.tp, result.fp, result.fn,
    )  # fmt: skip


def pinned() -> Pins:
    """The pins in the gate file."""
    return Pins(**yaml.safe_load(GATE.read_text(encoding="utf-8")))


def problems(measured: Pins, pins: Pins) -> list[str]:
    """Why the measured run does not pass the gate (empty when it does)."""
    found = []
    if measured.corpus_sha256 != pins.corpus_sha256:
        found.append("the labelled corpus changed since the gate was pinned: re-measure with `make gate`")
    for name in ("precision", "recall", "f1"):
        now, floor = getattr(measured, name), getattr(pins, name)
        if now < floor - TOLERANCE:
            found.append(f"{name} fell from {floor:.4f} to {now:.4f} (tolerance {TOLERANCE})")
    same_corpus = measured.corpus_sha256 == pins.corpus_sha256  # new articles change the output of course
    if same_corpus and measured.output_sha256 != pins.output_sha256:
        if measured.extractor_version == pins.extractor_version:
            version = pins.extractor_version
            found.append(f"extraction output changed but EXTRACTOR_VERSION is still {version!r}: bump it")
        else:
            found.append("extraction output changed with a new EXTRACTOR_VERSION: re-pin with `make gate`")
    return found


def update(measured: Pins, pins: Pins | None, allow_lower: bool) -> list[str]:
    """Write the measured figures as the new pins; the reasons it refuses, when it does."""
    refusals = []
    same_corpus = pins is not None and measured.corpus_sha256 == pins.corpus_sha256
    if pins is not None and same_corpus and measured.output_sha256 != pins.output_sha256:
        if measured.extractor_version == pins.extractor_version:
            version = pins.extractor_version
            refusals.append(f"output changed: bump EXTRACTOR_VERSION (still {version!r}) first")
    if pins is not None and not allow_lower and measured.corpus_sha256 == pins.corpus_sha256:
        for name in ("precision", "recall", "f1"):
            if getattr(measured, name) < getattr(pins, name) - TOLERANCE:
                refusals.append(f"{name} would fall below its pin: pass --allow-lower to lower the floor")
    if not refusals:
        GATE.write_text(_header() + yaml.safe_dump(asdict(measured), sort_keys=False), encoding="utf-8")
    return refusals


def _header() -> str:
    """The comment at the top of the gate file."""
    return (
        "# The extractor's accuracy on tests/data/articles, pinned by tests/support/gate.py (`make gate`).\n"
        "# tests/test_accuracy_gate.py fails when the corpus or the output change without a re-pin, or when\n"
        "# a figure falls more than 0.005 below these. Do not edit by hand.\n"
    )


def main(argv: list[str]) -> int:
    """Print measured against pinned figures; with --update, re-pin."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="write the measured figures as the new pins")
    parser.add_argument("--allow-lower", action="store_true", help="let --update lower a figure")
    args = parser.parse_args(argv)
    measured = measure()
    pins = pinned() if GATE.exists() else None
    figures = f"P={measured.precision} R={measured.recall} F1={measured.f1}"
    print(f"measured: {figures} ({measured.articles} articles)")
    if pins is not None:
        print(f"pinned:   P={pins.precision} R={pins.recall} F1={pins.f1} ({pins.articles} articles)")
    if not args.update:
        found = problems(measured, pins) if pins else ["no gate file yet: run with --update"]
        print("\n".join(found) or "gate: pass")
        return 1 if found else 0
    refusals = update(measured, pins, args.allow_lower)
    print("\n".join(refusals) or f"gate: pinned {measured.extractor_version} in {GATE}")
    return 1 if refusals else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
