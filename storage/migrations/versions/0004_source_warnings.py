"""Sources keep their last poll's warnings (a malformed feed, items left unread, pages that failed).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add sources.warnings, a JSON list of lines."""
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("warnings", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop sources.warnings."""
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("warnings")
