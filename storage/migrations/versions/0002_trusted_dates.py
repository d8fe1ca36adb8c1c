"""Trusted dates and conflict outcomes: where a date came from, the article's text, how a conflict ended.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.columns import CompressedText

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the columns; closed conflicts of older databases were all settled by agreement."""
    with op.batch_alter_table("articles") as articles:
        articles.add_column(sa.Column("published_source", sa.String(16)))
        articles.add_column(sa.Column("text", CompressedText()))
    with op.batch_alter_table("change_events") as events:
        events.add_column(sa.Column("supersedes", sa.Text(), nullable=False, server_default=""))
        events.add_column(sa.Column("conflict_outcome", sa.String(16)))
    op.execute(
        "UPDATE change_events SET conflict_outcome = 'resolved' "
        "WHERE conflict_key IS NOT NULL AND conflict_open = false AND resolved_by_id IS NOT NULL"
    )


def downgrade() -> None:
    """Drop the columns."""
    with op.batch_alter_table("change_events") as events:
        events.drop_column("conflict_outcome")
        events.drop_column("supersedes")
    with op.batch_alter_table("articles") as articles:
        articles.drop_column("text")
        articles.drop_column("published_source")
