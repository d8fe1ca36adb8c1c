"""The bundled baseline: the seed documents in data/seeds/ and their manifest, in manifest order."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from app.pipeline import IngestResult, Pipeline
from core.errors import InputError
from core.periods import LooseDate
from core.published import PublishedSource
from core.types import Document
from extractors.text import load_document

MANIFEST = "manifest.yaml"
BASELINE_LOCK = "baseline"  # taken by every writer that may find the database empty (storage.locks)


def seeds_dir() -> Path:
    """The folder of seed documents shipped inside the package."""
    return Path(str(resources.files("data") / "seeds"))


@dataclass(frozen=True)
class SeedEntry:
    """One line of the seed manifest."""

    id: str
    path: Path
    title: str | None
    publisher: str | None
    published: LooseDate
    url: str | None


def load_manifest(folder: Path | None = None) -> list[SeedEntry]:
    """Read the manifest; raise InputError naming it when it is malformed."""
    folder = folder or seeds_dir()
    manifest = folder / MANIFEST
    try:
        rows = yaml.safe_load(manifest.read_text(encoding="utf-8"))
        return [_entry(folder, row) for row in rows]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise InputError(f"{manifest}: not a readable seed manifest ({exc})") from None


def _entry(folder: Path, row: dict) -> SeedEntry:
    """A manifest row as a SeedEntry."""
    return SeedEntry(id=row["id"], path=folder / row["file"], title=row.get("title"),
                     publisher=row.get("publisher"), published=LooseDate.parse(str(row["published"])),
                     url=row.get("url"))


def seed_documents(folder: Path | None = None) -> Iterator[Document]:
    """The seed documents in manifest order, with the manifest's metadata."""
    for entry in load_manifest(folder):
        document = load_document(entry.path, published=entry.published)
        yield dataclasses.replace(document, source=entry.url or entry.id, url=entry.url,
                                  title=entry.title or document.title,
                                  publisher=entry.publisher or document.publisher,
                                  published_source=PublishedSource.GIVEN)


def seed_baseline(pipeline: Pipeline, *, reset: bool = False, folder: Path | None = None) -> list[IngestResult]:
    """Ingest the seed documents as the baseline: no alerts; running it again stores nothing new.

    Under the baseline lock, so a writer that starts meanwhile waits and then finds the baseline whole.
    """
    with pipeline.store.exclusive(BASELINE_LOCK):
        if reset:
            pipeline.store.reset()
            pipeline.histories.forget()
        return _seed(pipeline, folder)


def ensure_baseline(pipeline: Pipeline, folder: Path | None = None) -> int:
    """Seed an empty database first, once, whoever writes first; how many seed documents were stored.

    Every command and flow that writes calls this before writing: a first article compared with an empty
    database would be "new" instead of an update of the baseline (and alert as such).
    """
    with pipeline.store.exclusive(BASELINE_LOCK):
        return len(_seed(pipeline, folder)) if pipeline.store.is_empty() else 0


def _seed(pipeline: Pipeline, folder: Path | None) -> list[IngestResult]:
    """Ingest the seed documents in manifest order, sending nothing."""
    return [pipeline.ingest(document, alerts=False) for document in seed_documents(folder)]
