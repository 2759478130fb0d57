"""studio authoring: version numbers for the edit check, lesson drafts, course covers and the
instructor's private notes on students

Every row starts at version 1; an edit names the version it was made from and is refused when
the row has moved on. Existing lessons stay published.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 19:41:10.368191

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "instructor_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_instructor_notes_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_instructor_notes_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["users.id"],
            name=op.f("fk_instructor_notes_student_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instructor_notes")),
    )
    with op.batch_alter_table("instructor_notes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_instructor_notes_course_student", ["course_id", "student_id"], unique=False
        )

    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cover_image", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.create_index("uq_courses_cover_image", ["cover_image"], unique=True)

    with op.batch_alter_table("exam_questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))

    with op.batch_alter_table("lessons", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_draft", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))

    with op.batch_alter_table("modules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))

    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))

    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade():
    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.drop_column("version")

    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_column("version")

    with op.batch_alter_table("modules", schema=None) as batch_op:
        batch_op.drop_column("version")

    with op.batch_alter_table("lessons", schema=None) as batch_op:
        batch_op.drop_column("version")
        batch_op.drop_column("is_draft")

    with op.batch_alter_table("exam_questions", schema=None) as batch_op:
        batch_op.drop_column("version")

    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_index("uq_courses_cover_image")
        batch_op.drop_column("version")
        batch_op.drop_column("cover_image")

    with op.batch_alter_table("instructor_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_instructor_notes_course_student")

    op.drop_table("instructor_notes")
