"""one quiz per place: after a lesson, or closing a module

The outline shows one quiz per place, and the studio refuses a second; the database now says so
too, so two instructors creating quizzes at once cannot both succeed.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 21:15:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.create_index(
            "uq_quizzes_one_per_lesson",
            ["lesson_id"],
            unique=True,
            sqlite_where=sa.text("lesson_id IS NOT NULL"),
            postgresql_where=sa.text("lesson_id IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_quizzes_one_per_module",
            ["module_id"],
            unique=True,
            sqlite_where=sa.text("lesson_id IS NULL"),
            postgresql_where=sa.text("lesson_id IS NULL"),
        )


def downgrade():
    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.drop_index("uq_quizzes_one_per_module")
        batch_op.drop_index("uq_quizzes_one_per_lesson")
