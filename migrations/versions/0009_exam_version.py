"""exam version: the edit check for the exam's title, code of ethics and pledge

Two instructors editing the code of ethics at once must not silently overwrite each other, as
with every other versioned row of the studio. Existing exams start at version 1.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 20:05:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("exams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade():
    with op.batch_alter_table("exams", schema=None) as batch_op:
        batch_op.drop_column("version")
