"""Google News links remembered: which publisher URL each news.google.com article id resolved to.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.columns import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the google_news_links table."""
    op.create_table(
        "google_news_links",
        sa.Column("article_id", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("article_id", name="pk_google_news_links"),
    )


def downgrade() -> None:
    """Drop the google_news_links table."""
    op.drop_table("google_news_links")
