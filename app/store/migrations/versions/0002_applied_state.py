"""applied state: the placements of a cluster's last decision, and each decision's state summary

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: recorded before 0002 (the state is the document as sent; no summary kept).
    with op.batch_alter_table("cluster_states") as batch:
        batch.add_column(sa.Column("placements", sa.JSON(), nullable=True))
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("summary", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("summary")
    with op.batch_alter_table("cluster_states") as batch:
        batch.drop_column("placements")
