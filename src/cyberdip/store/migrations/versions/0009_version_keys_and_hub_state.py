"""STIX versions ordered by a fixed-width key; the hub's generation counter for in-memory access caches

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 19:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from cyberdip.model.sharing import version_key


revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('stix_objects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('modified_key', sa.String(length=40), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT seq, collection_id, object_id, modified FROM stix_objects ORDER BY seq")).all()
    kept: set[tuple[str, str, str]] = set()
    same = []  # one version written two ways (12:00:00Z and 12:00:00.000Z): the first stored is kept
    for r in rows:
        key = (r.collection_id, r.object_id, version_key(r.modified))
        if key in kept:
            same.append({"seq": r.seq})
        kept.add(key)
    if same:
        bind.execute(sa.text("DELETE FROM stix_objects WHERE seq = :seq"), same)
    if rows:
        bind.execute(sa.text("UPDATE stix_objects SET modified_key = :key WHERE seq = :seq"),
                     [{"key": version_key(r.modified), "seq": r.seq} for r in rows])
    with op.batch_alter_table('stix_objects', schema=None) as batch_op:
        batch_op.alter_column('modified_key', existing_type=sa.String(length=40), nullable=False)
        batch_op.drop_index('uq_stix_objects_version')
        batch_op.create_index('uq_stix_objects_version', ['collection_id', 'object_id', 'modified_key'], unique=True)
    hub_state = op.create_table(
        'hub_state',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_hub_state')),
    )
    op.bulk_insert(hub_state, [{"id": 1, "generation": 1}])


def downgrade() -> None:
    op.drop_table('hub_state')
    with op.batch_alter_table('stix_objects', schema=None) as batch_op:
        batch_op.drop_index('uq_stix_objects_version')
        batch_op.create_index('uq_stix_objects_version', ['collection_id', 'object_id', 'modified'], unique=True)
        batch_op.drop_column('modified_key')
