"""directory version, changes and title words: what each process needs to keep its index of the
listing current, and the words of name and headline indexed on their own for relevance

SQLite's FTS5 table gains a `title_text` column (the stems of name and headline, kept by the app
in `profiles.title_text`); it is dropped and made again, with its triggers, and rebuilt. Existing
rows get their title stems here, with the same Snowball stemmer (stop words are left in: a query
never holds one). PostgreSQL gains a generated `title_vector` with its own GIN index.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 18:05:00.000000

"""

import re

from alembic import op
import snowballstemmer
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

POSTGRES_TITLE_VECTOR = """
ALTER TABLE profiles ADD COLUMN title_vector tsvector GENERATED ALWAYS AS (
    to_tsvector('italian', display_name || ' ' || headline)
) STORED
"""


def sqlite_fts(columns: str) -> tuple[str, ...]:
    """The FTS5 table over `columns` of profiles and the triggers that keep it in step."""
    names = [name.strip() for name in columns.split(",")]
    new = ", ".join(f"new.{name}" for name in names)
    old = ", ".join(f"old.{name}" for name in names)
    return (
        f"""CREATE VIRTUAL TABLE profiles_fts USING fts5(
            {columns}, content='profiles', content_rowid='id',
            tokenize='unicode61 remove_diacritics 0')""",
        f"""CREATE TRIGGER profiles_fts_insert AFTER INSERT ON profiles BEGIN
            INSERT INTO profiles_fts(rowid, {columns}) VALUES (new.id, {new});
        END""",
        f"""CREATE TRIGGER profiles_fts_delete AFTER DELETE ON profiles BEGIN
            INSERT INTO profiles_fts(profiles_fts, rowid, {columns})
            VALUES ('delete', old.id, {old});
        END""",
        f"""CREATE TRIGGER profiles_fts_update AFTER UPDATE OF {columns} ON profiles BEGIN
            INSERT INTO profiles_fts(profiles_fts, rowid, {columns})
            VALUES ('delete', old.id, {old});
            INSERT INTO profiles_fts(rowid, {columns}) VALUES (new.id, {new});
        END""",
        "INSERT INTO profiles_fts(profiles_fts) VALUES ('rebuild')",
    )


def drop_sqlite_fts() -> None:
    for name in ("profiles_fts_insert", "profiles_fts_delete", "profiles_fts_update"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS profiles_fts")


def fill_title_text() -> None:
    stemmer = snowballstemmer.stemmer("italian")
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, display_name, headline FROM profiles")).all()
    for row in rows:
        words = re.findall(r"[^\W_]+", f"{row.display_name} {row.headline}".lower())
        bind.execute(
            sa.text("UPDATE profiles SET title_text = :stems WHERE id = :id"),
            {"stems": " ".join(stemmer.stemWords(words)), "id": row.id},
        )


def upgrade():
    op.create_table(
        "directory_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_version")),
    )
    op.create_table(
        "directory_changes",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("version", "profile_id", name=op.f("pk_directory_changes")),
    )
    op.add_column("profiles", sa.Column("title_text", sa.Text(), nullable=False, server_default=""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_TITLE_VECTOR)
        op.execute("CREATE INDEX ix_profiles_title_vector ON profiles USING gin (title_vector)")
    else:
        drop_sqlite_fts()
        fill_title_text()
        for statement in sqlite_fts("title_text, search_text"):
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_profiles_title_vector")
        op.execute("ALTER TABLE profiles DROP COLUMN title_vector")
    else:
        drop_sqlite_fts()
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.drop_column("title_text")
    if op.get_bind().dialect.name != "postgresql":
        for statement in sqlite_fts("search_text"):
            op.execute(statement)
    op.drop_table("directory_changes")
    op.drop_table("directory_version")
