"""book list order: an index for the default ordering (newest first, id breaking ties)

Revision ID: 0004_book_list_order
Revises: 0003_covers_imports
Create Date: 2026-11-22 02:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004_book_list_order"
down_revision: str | None = "0003_covers_imports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_book_created_at_id", "book", ["created_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_book_created_at_id", table_name="book")
