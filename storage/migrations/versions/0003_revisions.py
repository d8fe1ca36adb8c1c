"""Revisions: what re-reading stored articles with a newer extractor changed (``claimwatch reextract``).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.columns import ExactDecimal, UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the revisions table."""
    op.create_table(
        "revisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run", sa.String(40), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(16), nullable=False),
        sa.Column("metric", sa.String(200), nullable=False),
        sa.Column("forecast", sa.Boolean(), nullable=False),
        *_figure("old"),
        *_figure("new"),
        sa.Column("old_version", sa.String(64), nullable=False),
        sa.Column("new_version", sa.String(64), nullable=False),
        sa.Column("event_id", sa.Integer()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_revisions"),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], name="fk_revisions_article_id_articles",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["event_id"], ["change_events.id"],
                                name="fk_revisions_event_id_change_events", ondelete="SET NULL"),
    )
    op.create_index("ix_revisions_run", "revisions", ["run"])
    op.create_index("ix_revisions_article_id", "revisions", ["article_id"])
    op.create_index("ix_revisions_metric", "revisions", ["metric"])


def downgrade() -> None:
    """Drop the revisions table."""
    op.drop_table("revisions")


def _figure(side: str) -> list[sa.Column]:
    """The columns of one side of a revision: the figure before or after."""
    return [
        sa.Column(f"{side}_value", ExactDecimal()),
        sa.Column(f"{side}_unit", sa.String(16)),
        sa.Column(f"{side}_qualifier", sa.String(16)),
        sa.Column(f"{side}_period", sa.String(16)),
        sa.Column(f"{side}_evidence", sa.Text()),
    ]
