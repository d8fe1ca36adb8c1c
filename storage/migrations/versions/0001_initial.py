"""Initial schema: sources, articles, facts, claims, change events, outbox.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.columns import ExactDecimal, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create every table."""
    _sources()
    _articles()
    _facts()
    _claims()
    _events()
    _outbox()


def downgrade() -> None:
    """Drop every table, children first."""
    for table in ("outbox", "change_events", "claims", "facts", "articles", "sources"):
        op.drop_table(table)


def _sources() -> None:
    """Polled sources and their state."""
    op.create_table(
        "sources",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("url", sa.Text()),
        sa.Column("interval_seconds", sa.Integer()),
        sa.Column("etag", sa.Text()),
        sa.Column("last_modified", sa.Text()),
        sa.Column("last_success", UTCDateTime()),
        sa.Column("last_attempt", UTCDateTime()),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("next_poll", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_sources"),
    )


def _articles() -> None:
    """Articles, one per source."""
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("url", sa.Text()),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("title", sa.Text()),
        sa.Column("publisher", sa.Text()),
        sa.Column("published", sa.Date()),
        sa.Column("published_precision", sa.String(8)),
        sa.Column("fetched_at", UTCDateTime()),
        sa.Column("language", sa.String(16)),
        sa.Column("source_id", sa.String(200)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_articles"),
        sa.UniqueConstraint("source", name="uq_articles_source"),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name="fk_articles_source_id_sources", ondelete="SET NULL"
        ),
    )


def _facts() -> None:
    """Distinct facts."""
    op.create_table(
        "facts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("series", sa.String(300), nullable=False),
        sa.Column("metric", sa.String(200)),
        sa.Column("entity", sa.String(200), nullable=False),
        sa.Column("forecast", sa.Boolean(), nullable=False),
        sa.Column("value", ExactDecimal(), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("qualifier", sa.String(16), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("as_of", sa.Date()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_facts"),
        sa.UniqueConstraint(
            "series",
            "forecast",
            "unit",
            "value",
            "qualifier",
            "period",
            name="uq_facts_series_forecast_unit_value_qualifier_period",
        ),
    )
    op.create_index("ix_facts_metric_forecast", "facts", ["metric", "forecast"])


def _claims() -> None:
    """Citations of facts."""
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fact_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(200)),
        sa.Column("entity", sa.String(200), nullable=False),
        sa.Column("value", ExactDecimal(), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("qualifier", sa.String(16), nullable=False),
        sa.Column("period", sa.String(16)),
        sa.Column("as_of", sa.Date()),
        sa.Column("forecast", sa.Boolean(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("start_offset", sa.Integer(), nullable=False),
        sa.Column("end_offset", sa.Integer(), nullable=False),
        sa.Column("stated_value", ExactDecimal()),
        sa.Column("stated_unit", sa.String(16)),
        sa.Column("extractor_version", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_claims"),
        sa.UniqueConstraint(
            "article_id",
            "fact_id",
            "start_offset",
            "end_offset",
            name="uq_claims_article_id_fact_id_start_offset_end_offset",
        ),
        sa.ForeignKeyConstraint(
            ["fact_id"], ["facts.id"], name="fk_claims_fact_id_facts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name="fk_claims_article_id_articles", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_claims_fact_id", "claims", ["fact_id"])
    op.create_index("ix_claims_article_id", "claims", ["article_id"])


def _events() -> None:
    """Change events."""
    op.create_table(
        "change_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("metric", sa.String(200)),
        sa.Column("forecast", sa.Boolean(), nullable=False),
        sa.Column("fact_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer()),
        sa.Column("previous_fact_id", sa.Integer()),
        sa.Column("change_pct", ExactDecimal()),
        sa.Column("direction", sa.String(8)),
        sa.Column("resolves", sa.Text(), nullable=False),
        sa.Column("conflict_key", sa.String(64)),
        sa.Column("conflict_open", sa.Boolean(), nullable=False),
        sa.Column("resolved_by_id", sa.Integer()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_change_events"),
        sa.UniqueConstraint("key", name="uq_change_events_key"),
        sa.ForeignKeyConstraint(
            ["fact_id"], ["facts.id"], name="fk_change_events_fact_id_facts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name="fk_change_events_claim_id_claims", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["previous_fact_id"],
            ["facts.id"],
            name="fk_change_events_previous_fact_id_facts",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["change_events.id"],
            name="fk_change_events_resolved_by_id_change_events",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_change_events_kind", "change_events", ["kind"])
    op.create_index("ix_change_events_metric", "change_events", ["metric"])
    op.create_index("ix_change_events_conflict_key", "change_events", ["conflict_key"])
    op.create_index("ix_change_events_created_at", "change_events", ["created_at"])


def _outbox() -> None:
    """Deliveries per event and channel."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(100), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("next_attempt_at", UTCDateTime()),
        sa.Column("sent_at", UTCDateTime()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("event_id", "channel", name="uq_outbox_event_id_channel"),
        sa.ForeignKeyConstraint(
            ["event_id"], ["change_events.id"], name="fk_outbox_event_id_change_events", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])
