"""Score the in-process claim extractor against a gold file in the format of ../shared/eval/gold/seeds.yaml.

The matching rules are the shared scorer's (../shared/eval/score_claims.py), imported from there when it
is present; otherwise the same small rules are used from this module, so the project's own corpus can be
scored on a fresh clone too.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import yaml

from app.records import claim_json
from core.periods import LooseDate
from extractors.claims import extract_claims
from extractors.text import load_document

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SHARED_SCORER = SHARED / "eval" / "score_claims.py"
REL_TOL = 0.01  # the shared scorer's tolerance: values within 1% agree


@dataclass
class Score:
    """Counts over a corpus, with one line per miss and false positive."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def summary(self) -> str:
        return (
            f"precision={self.precision:.3f} recall={self.recall:.3f} f1={self.f1:.3f} "
            f"tp={self.tp} fp={self.fp} fn={self.fn}"
        )


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= REL_TOL * max(abs(a), abs(b), 1e-9)


def _periods_agree(a: object, b: object) -> bool:
    return a in (None, "") or b in (None, "") or str(a) == str(b)


def _matches_gold(pred: dict, gold: dict) -> bool:
    return (
        pred.get("metric") == gold["metric"]
        and pred.get("unit") == gold["unit"]
        and _close(float(pred.get("value", "nan")), float(gold["value"]))
        and bool(pred.get("forecast", False)) == bool(gold.get("forecast", False))
        and _periods_agree(pred.get("period"), gold.get("period"))
    )


def _matches_optional(pred: dict, opt: dict) -> bool:
    return pred.get("unit") == opt["unit"] and _close(float(pred.get("value", "nan")), float(opt["value"]))


def _dedupe(preds: list[dict]) -> list[dict]:
    seen, out = set(), []
    for p in preds:
        value = round(float(p.get("value", 0)), 6)
        key = (p.get("metric"), p.get("unit"), value, p.get("period"), bool(p.get("forecast")))
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


@dataclass(frozen=True)
class Rules:
    """The three matching functions, from the shared scorer or from here."""

    matches_gold: Callable[[dict, dict], bool]
    matches_optional: Callable[[dict, dict], bool]
    dedupe: Callable[[list[dict]], list[dict]]
    origin: str


def matching_rules() -> Rules:
    """The shared scorer's rules when ../shared is present, else this module's copy of them."""
    module = _load_shared_scorer()
    if module is not None:
        return Rules(module.matches_gold, module.matches_optional, module.dedupe, str(SHARED_SCORER))
    return Rules(_matches_gold, _matches_optional, _dedupe, __name__)


def _load_shared_scorer() -> ModuleType | None:
    """Import ../shared/eval/score_claims.py as a module, or None when it is absent."""
    if not SHARED_SCORER.exists():
        return None
    spec = importlib.util.spec_from_file_location("shared_score_claims", SHARED_SCORER)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def predict(path: Path, published: object) -> list[dict]:
    """What `claimwatch extract --json --published DATE PATH` prints, computed in this process."""
    date = LooseDate.parse(str(published)) if published else None
    document = load_document(path, published=date)
    return [claim_json(c) for c in extract_claims(document) if c.metric is not None]


def find_doc(docs_dir: Path, doc_id: str) -> Path:
    """The document file for a gold id (html preferred, as the shared scorer does)."""
    for ext in (".html", ".htm", ".txt"):
        candidate = docs_dir / f"{doc_id}{ext}"
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"no document for {doc_id} in {docs_dir}")


def score(gold_path: Path, docs_dir: Path, rules: Rules | None = None) -> Score:
    """Score every gold document: true positives, false positives (not gold, not optional) and misses."""
    documents = yaml.safe_load(gold_path.read_text(encoding="utf-8"))["documents"]
    predictions = {i: predict(find_doc(docs_dir, i), doc.get("published")) for i, doc in documents.items()}
    return score_predictions(documents, predictions, rules or matching_rules())


def score_predictions(documents: dict, predictions: dict[str, list[dict]], rules: Rules) -> Score:
    """Score each gold document's predictions (document id -> claims as `extract --json` prints them)."""
    result = Score()
    for doc_id, doc in documents.items():
        _score_document(doc_id, doc, rules.dedupe(predictions[doc_id]), rules, result)
    return result


def _score_document(doc_id: str, doc: dict, preds: list[dict], rules: Rules, result: Score) -> None:
    """Add one document's counts and problem lines to ``result``."""
    required = list(doc.get("claims") or [])
    optional = list(doc.get("optional") or [])
    unmatched = list(required)
    for p in preds:
        hit = next((g for g in unmatched if rules.matches_gold(p, g)), None)
        if hit is not None:
            unmatched.remove(hit)
            result.tp += 1
        elif not any(rules.matches_gold(p, g) for g in required) and not any(
            rules.matches_optional(p, o) for o in optional
        ):
            result.fp += 1
            result.problems.append(
                f"{doc_id}  FP  {p['metric']} {p['value']} {p['unit']} period={p['period']} "
                f"forecast={p['forecast']}  | {p['evidence'][:90]}"
            )
    for g in unmatched:
        result.fn += 1
        result.problems.append(
            f"{doc_id}  FN  {g['metric']} {g['value']} {g['unit']} period={g.get('period')} "
            f"forecast={g.get('forecast')}  | {g.get('quote', '')[:90]}"
        )
