"""Findings: every finding that engages a norm, one indexed row each (part of the assessments read model)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 01:30:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'findings',
        sa.Column('incident_id', sa.String(length=300), nullable=False),
        sa.Column('norm', sa.String(length=300), nullable=False),
        sa.Column('addressee', sa.String(length=300), nullable=False),
        sa.Column('status', sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(['incident_id'], ['assessments.incident_id'],
                                name=op.f('fk_findings_incident_id_assessments'), ondelete='CASCADE'),
    )
    op.create_index('ix_findings_norm', 'findings', ['norm', 'status'])
    op.create_index('ix_findings_incident', 'findings', ['incident_id'])
    # the read model is rebuilt with its findings by the next load or `cyberdip serve`
    op.execute("DELETE FROM read_models WHERE name = 'assessments'")


def downgrade() -> None:
    op.drop_index('ix_findings_incident', table_name='findings')
    op.drop_index('ix_findings_norm', table_name='findings')
    op.drop_table('findings')
