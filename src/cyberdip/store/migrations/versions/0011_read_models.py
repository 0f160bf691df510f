"""Read models: every incident's assessment and other derived answers, written with each load

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 01:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        'read_models',
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('load_id', sa.Integer(), nullable=False),
        sa.Column('payload', JSON, nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_read_models')),
    )
    op.create_table(
        'assessments',
        sa.Column('incident_id', sa.String(length=300), nullable=False),
        sa.Column('outline', JSON, nullable=False),
        sa.Column('payload', JSON, nullable=False),
        sa.ForeignKeyConstraint(['incident_id'], ['records.id'], name=op.f('fk_assessments_incident_id_records'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('incident_id', name=op.f('pk_assessments')),
    )


def downgrade() -> None:
    op.drop_table('assessments')
    op.drop_table('read_models')
