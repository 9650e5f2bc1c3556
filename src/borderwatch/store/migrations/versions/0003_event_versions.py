"""border event register

Revision ID: 0002_events
Revises: 0002
Create Date: 2026-12-01 23:59:00

The versions of border events (``crossings``): one row per version, appended, never changed; on SQLite,
triggers refuse UPDATE and DELETE on ``event_versions``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

TRIGGERS = {
    "event_versions_no_update": "UPDATE",
    "event_versions_no_delete": "DELETE",
}

revision: str = "0002_events"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=128), nullable=False),
        sa.Column("recorded_s", sa.Float(), nullable=False),
        sa.Column("time_s", sa.Float(), nullable=False),
        sa.Column("section", sa.String(length=128), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "version", name="uq_event_versions_event_version"),
    )
    with op.batch_alter_table("event_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_versions_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_versions_time_s"), ["time_s"], unique=False)
        batch_op.create_index("ix_event_versions_section_time", ["section", "time_s"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        for name, what in TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {what} ON event_versions "
                "BEGIN SELECT RAISE(ABORT, 'event versions are append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("event_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_event_versions_section_time")
        batch_op.drop_index(batch_op.f("ix_event_versions_time_s"))
        batch_op.drop_index(batch_op.f("ix_event_versions_event_id"))
    op.drop_table("event_versions")
