"""What `claimwatch kinds` lists: every source kind and channel kind, read from their classes."""

from __future__ import annotations

from typing import Any

from alerts.notifiers import NOTIFIERS
from core.config import CHANNEL_MODELS, ChannelBase, channel_kind
from sources.kinds import SOURCE_KINDS, SourceKind
from sources.kinds.base import COMMON_KEYS

SHARED_CHANNEL_KEYS = frozenset(ChannelBase.model_fields)


def source_kinds() -> list[dict[str, Any]]:
    """One record per source kind: its name, who reads it, its url, its own keys, what it is."""
    return [_source(k) for k in SOURCE_KINDS.values()]


def _source(kind: SourceKind) -> dict[str, Any]:
    """A source kind as a record."""
    return {"kind": kind.kind, "mode": kind.mode,
            "read_by": "monitor, every interval" if kind.mode == "poll" else "backfill --sources",
            "url": kind.location, "keys": sorted(kind.keys - COMMON_KEYS), "description": kind.description}


def channel_kinds() -> list[dict[str, Any]]:
    """One record per channel kind: its name, its own keys (required, optional), its notifier, what it is."""
    return [_channel(model) for model in CHANNEL_MODELS]


def _channel(model: type[ChannelBase]) -> dict[str, Any]:
    """A channel model as a record."""
    fields = model.model_fields
    own = [name for name in fields if name not in SHARED_CHANNEL_KEYS and name != "kind"]
    notifier = NOTIFIERS.get(channel_kind(model))
    return {"kind": channel_kind(model), "required": [n for n in own if fields[n].is_required()],
            "optional": [n for n in own if not fields[n].is_required()],
            "notifier": notifier.__name__ if notifier else None,
            "description": (model.__doc__ or "").strip().splitlines()[0]}
