"""STIX object bodies as JSON text: served as stored, with no JSONB-to-text conversion per read

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 17:15:00

"""
from typing import Sequence, Union

from alembic import op


revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """PostgreSQL stored them as JSONB; SQLite already keeps JSON as text, so nothing changes there."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE stix_objects ALTER COLUMN body TYPE TEXT USING body::text")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE stix_objects ALTER COLUMN body TYPE JSONB USING body::jsonb")
