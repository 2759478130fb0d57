"""A course as one ZIP: the round trip to another installation, refusals, pages, CLI and audit."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from PIL import Image, ImageChops, ImageDraw, ImageStat
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import (
    Attachment,
    AuditEntry,
    Course,
    Exam,
    ExamCategory,
    ExamChoice,
    ExamQuestion,
    Lesson,
    Question,
    Quiz,
)
from lms.services import (
    course_archive,
    course_archive_reader,
    course_archive_writer,
    course_authoring,
    course_files,
    photos,
)
from lms.services.course_archive_format import ArchiveRefused
from tests import factories
from tests.conftest import empty_all_tables, login


def picture(size: tuple[int, int] = (1600, 900), kind: str = "PNG") -> bytes:
    """A real picture: two shapes on a blue ground."""
    image = Image.new("RGB", size, "#1d4e89")
    draw = ImageDraw.Draw(image)
    width, height = size
    draw.rectangle((width // 16, height // 9, width // 2, height // 2), fill="#f2c14e")
    draw.ellipse(
        (width // 2, height // 4, width - width // 8, height - height // 8), fill="#f78154"
    )
    buffer = io.BytesIO()
    image.save(buffer, kind)
    return buffer.getvalue()


def picture_facts(data: bytes) -> tuple[str, tuple[int, int]]:
    with Image.open(io.BytesIO(data)) as image:
        return image.format, image.size


def pixel_difference(first: bytes, second: bytes) -> float:
    """The mean difference of two pictures' pixels, 0 to 255: near 0 for the same picture."""
    with Image.open(io.BytesIO(first)) as a, Image.open(io.BytesIO(second)) as b:
        return max(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean)


PDF = b"%PDF-1.7\n" + bytes(range(255, -1, -1)) * 16 + b"\x00\r\n%%EOF"
XLSX = b"PK\x03\x04" + b"\x00\xff\x10" * 700


def _attach(lesson: Lesson, filename: str, content_type: str, data: bytes) -> None:
    stored = course_files.new_stored_name(Path(filename).suffix)
    course_files.write_file(course_files.attachments_dir(), stored, data)
    db.session.add(
        Attachment(
            lesson_id=lesson.id,
            filename=filename,
            stored_name=stored,
            content_type=content_type,
            size=len(data),
        )
    )


def make_rich_course() -> int:
    """Every authorable thing at least once: drafts, previews, drip, video, files, quizzes, exam."""
    course = factories.make_course(
        slug="assistente-virtuale",
        title="Diventare assistente virtuale",
        modules=3,
        lessons_per_module=2,
        subtitle="Il mestiere, passo per passo",
        description_md="# Il corso\n\nPer chi parte da zero: **contratti**, fatture.\n✓ àèìòù",
        price_cents=29700,
        currency="eur",
        language="it",
        hours=14,
        is_published=True,
        sequential=True,
        certificate_validity_months=24,
        certificate_design="classic",
        certificate_signer_name="Giulia Ferraris",
        certificate_signer_title="Direttrice didattica",
    )
    course.cover_image = photos.store_picture(  # as the studio stores an uploaded cover
        io.BytesIO(picture()), course_files.covers_dir(), course_authoring.COVER_SIZE, 320
    )
    modules = course.modules
    modules[0].summary = "Che cosa fa un VA."
    modules[1].summary = "Ruoli e specializzazioni."
    first, second = modules[0].lessons
    third, fourth = modules[1].lessons
    fifth, sixth = modules[2].lessons
    first.is_preview = True
    first.body_md = "## Benvenuti\n\nUna lezione *aperta* a tutti.\n\n- uno\n- due\n"
    second.is_draft = True
    third.drip_days = 7
    third.video_url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    fourth.minutes = 25
    sixth.body_md = "Ultima lezione: «grazie» 🎓"
    db.session.flush()
    _attach(first, "Guida al contratto.pdf", "application/pdf", PDF)
    _attach(first, "Listino prezzi è.xlsx", "application/vnd.ms-excel", XLSX)
    _attach(fifth, "note", "text/plain", "Appunti con accenti: è à ù\n".encode())
    db.session.commit()
    factories.make_quiz(course, modules[0])  # single, multiple, true_false, text
    lesson_quiz = factories.make_quiz(course, modules[1], title="Quiz della lezione", shuffle=False)
    lesson_quiz.lesson_id = third.id
    lone_quiz = factories.make_quiz(course, modules[2], title="Verifica", max_attempts=3)
    lone_quiz.module_id, lone_quiz.lesson_id = None, sixth.id
    lone_quiz.questions[0].points = 3
    db.session.commit()
    exam = factories.make_exam(
        course,
        categories=2,
        per_category=3,
        draw=2,
        code_of_ethics_md="# Codice etico\n\nArt. 1 — Riservatezza.\nArt. 2 — Trasparenza.\n",
        pledge_text="Mi impegno a rispettare il codice, in ogni incarico.",
    )
    bank = exam.categories[0]
    multiple = ExamQuestion(kind="multiple", prompt="Quali dati sono riservati?", explanation="")
    multiple.choices = [
        ExamChoice(position=0, text="Le password dei clienti", is_correct=True),
        ExamChoice(position=1, text="I contratti", is_correct=True),
        ExamChoice(position=2, text="Il proprio sito", is_correct=False),
    ]
    bank.questions.append(multiple)
    bank.questions.append(
        ExamQuestion(kind="true_false", prompt="Si può subappaltare in segreto.", answer_true=False)
    )
    retired = ExamQuestion(kind="single", prompt="Domanda ritirata", is_active=False)
    retired.choices = [
        ExamChoice(position=0, text="Sì", is_correct=True),
        ExamChoice(position=1, text="No", is_correct=False),
    ]
    exam.categories[1].questions.append(retired)
    db.session.commit()
    return course.id


SKIPPED = {"id", "created_at", "updated_at", "version", "stored_name", "cover_image"}


def _row(obj) -> dict:
    """Every column of a row but ids, links, timestamps and random file names."""
    return {
        column.key: getattr(obj, column.key)
        for column in obj.__table__.columns
        if column.key not in SKIPPED and not column.key.endswith("_id")
    }


def snapshot(course_id: int) -> dict:
    """The course as the rows and files of this installation hold it, without any id."""
    course = db.session.get(Course, course_id)
    lessons_by_id = {lesson.id: lesson for m in course.modules for lesson in m.lessons}
    module_numbers = {module.id: n for n, module in enumerate(course.modules)}

    def attachments(lesson: Lesson) -> list:
        rows = db.session.scalars(
            select(Attachment).where(Attachment.lesson_id == lesson.id).order_by(Attachment.id)
        )
        folder = course_files.attachments_dir()
        return [{**_row(a), "bytes": (folder / a.stored_name).read_bytes()} for a in rows]

    quizzes = db.session.scalars(select(Quiz).where(Quiz.course_id == course_id).order_by(Quiz.id))
    exam = db.session.scalar(select(Exam).where(Exam.course_id == course_id))
    return {
        "course": _row(course),
        "cover": picture_facts((course_files.covers_dir() / course.cover_image).read_bytes()),
        "modules": [
            {
                **_row(module),
                "lessons": [
                    {**_row(lesson), "attachments": attachments(lesson)}
                    for lesson in module.lessons
                ],
            }
            for module in course.modules
        ],
        "quizzes": [
            {
                **_row(quiz),
                "module": module_numbers.get(quiz.module_id),
                "lesson": lessons_by_id[quiz.lesson_id].slug if quiz.lesson_id else None,
                "questions": [
                    {**_row(q), "choices": [_row(c) for c in q.choices]} for q in quiz.questions
                ],
            }
            for quiz in quizzes
        ],
        "exam": {
            **_row(exam),
            "categories": [
                {
                    **_row(category),
                    "questions": [
                        {**_row(q), "choices": [_row(c) for c in q.choices]}
                        for q in category.questions
                    ],
                }
                for category in exam.categories
            ],
        },
    }


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def _wipe_installation(app) -> None:
    """Another installation: no row at all, no file at all."""
    empty_all_tables()
    shutil.rmtree(app.config["FILES_DIR"], ignore_errors=True)


def test_round_trip_to_another_installation_is_identical(app):
    """Every row and file comes back as it was, with two exceptions the import means to make.

    The course arrives as a draft. The cover is re-encoded on import, as a cover uploaded in the
    studio is, and lossy WebP is not byte-stable across re-encodings (each pass changes a few
    bytes): so the cover is compared as a picture, by its format and size and by its pixels,
    which differ by less than 2 levels in 255 on average.
    """
    with app.app_context():
        course_id = make_rich_course()
        before = snapshot(course_id)
        old_cover = db.session.get(Course, course_id).cover_image
        stored_cover = (course_files.covers_dir() / old_cover).read_bytes()
        first = course_archive.export_course(course_id)
        _wipe_installation(app)
        assert db.session.scalar(select(func.count()).select_from(Course)) == 0
        imported = course_archive.import_course(first, None, None)
        second = course_archive.export_course(imported.id)
        after = snapshot(imported.id)
        new_cover = imported.cover_image
        stored_names = set(db.session.scalars(select(Attachment.stored_name)))

    assert before["course"]["is_published"] is True and after["course"]["is_published"] is False
    before["course"]["is_published"] = False  # an imported course is always a draft
    assert before["cover"] == after["cover"] == ("WEBP", (1280, 720))
    assert after == before  # every other column of every row, and every attachment's bytes
    first_files, second_files = unzip(first), unzip(second)
    assert sorted(first_files) == sorted(second_files)
    first_manifest = json.loads(first_files.pop("manifest.json"))
    second_manifest = json.loads(second_files.pop("manifest.json"))
    assert first_manifest.pop("exported_at") and second_manifest.pop("exported_at")
    assert first_manifest["course"].pop("is_published") is True
    assert second_manifest["course"].pop("is_published") is False
    assert first_manifest == second_manifest
    first_cover, second_cover = first_files.pop("cover.webp"), second_files.pop("cover.webp")
    assert first_files == second_files  # every Markdown file and attachment byte-equal
    assert first_cover == stored_cover  # exported as stored
    assert picture_facts(second_cover) == ("WEBP", (1280, 720))
    assert pixel_difference(first_cover, second_cover) < 2

    assert first_files["course.md"].decode() == before["course"]["description_md"]
    assert first_files["modules/01-modulo-1/01-lezione-1-1.md"].startswith(b"## Benvenuti")
    assert first_files["attachments/01-01/01-Guida-al-contratto.pdf"] == PDF
    assert first_files["attachments/01-01/02-Listino-prezzi-e.xlsx"] == XLSX
    assert first_files["attachments/03-01/01-note"].decode().startswith("Appunti")
    assert first_files["exam/pledge.md"].decode().startswith("Mi impegno")
    assert "id" not in _keys(first_manifest) and not any(
        key.endswith("_id") for key in _keys(first_manifest)
    )
    assert first_manifest["format"] == "lms-course"
    course = first_manifest["course"]
    assert course["cover"] == "cover.webp"
    assert [q["module"] for q in course["quizzes"]] == [1, 2, None]
    assert [q["lesson"] for q in course["quizzes"]] == [None, "lezione-2-1", "lezione-3-2"]
    assert len(course["exam"]["categories"][0]["questions"]) == 5
    # New random names, not the old ones: this installation's own files.
    assert photos.is_photo_name(new_cover) and new_cover != old_cover
    assert sorted(Path(name).suffix for name in stored_names) == ["", ".pdf", ".xlsx"]


def test_export_is_deterministic_and_holds_no_student_data(app):
    with app.app_context():
        course_id = make_rich_course()
        student = factories.make_user(email="sara.quadri@example.org", name="Sara Quadri")
        factories.make_enrollment(student, db.session.get(Course, course_id))
        with time_machine.travel(datetime(2026, 5, 4, 10, 0, tzinfo=UTC), tick=False):
            first = course_archive.export_course(course_id)
            second = course_archive.export_course(course_id)
    assert first == second
    names = zipfile.ZipFile(io.BytesIO(first)).namelist()
    assert names[0] == "manifest.json" and names[1:] == sorted(names[1:])
    everything = b"".join(unzip(first).values()).lower()
    assert b"quadri" not in everything and b"@example.org" not in everything
    manifest = json.loads(unzip(first)["manifest.json"])
    assert manifest["exported_at"] == "2026-05-04T10:00:00Z" and manifest["version"] == 1


def _small_archive(app) -> bytes:
    with app.app_context():
        course = factories.make_course(slug="piccolo", modules=1, lessons_per_module=2)
        factories.make_quiz(course, course.modules[0])
        factories.make_exam(course, categories=1, per_category=2, draw=1)
        return course_archive.export_course(course.id)


def rezip(data: bytes, *, drop=(), add=None, change=None) -> bytes:
    """The archive again, without some files, with others, or with its manifest changed."""
    files = unzip(data)
    for name in drop:
        del files[name]
    if change is not None:
        manifest = json.loads(files["manifest.json"])
        change(manifest)
        files["manifest.json"] = json.dumps(manifest).encode()
    files.update(add or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _lesson(manifest) -> dict:
    return manifest["course"]["modules"][0]["lessons"][0]


def _set(path: list, value):
    def change(manifest):
        target = manifest
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def changed(path: list, value):
    return lambda data: rezip(data, change=_set(path, value))


def added(name: str, content: bytes, **options):
    return lambda data: rezip(data, add={name: content}, **options)


def encrypted(data: bytes) -> bytes:
    """The same ZIP, its first entry flagged as encrypted in the central directory."""
    raw = bytearray(data)
    raw[raw.find(b"PK\x01\x02") + 8] |= 0x1
    return bytes(raw)


COURSE = ["course"]
LESSON = ["course", "modules", 0, "lessons", 0]
QUESTION = ["course", "quizzes", 0, "questions", 0]
CATEGORY = ["course", "exam", "categories", 0]
BODY = "modules/01-modulo-1/01-lezione-1-1.md"
REFUSALS = [
    ("not_a_zip", lambda data: b"this is a text file, not a zip"),
    ("no_manifest", lambda data: rezip(data, drop=["manifest.json"])),
    ("encrypted", encrypted),
    ("unsupported_version:2", changed(["version"], 2)),
    ("unsupported_format", changed(["format"], "moodle")),
    ("unsafe_path:../../evil.md", added("../../evil.md", b"x")),
    ("unsafe_path:/etc/cron.d/x", added("/etc/cron.d/x", b"x")),
    ("unsafe_path:a\\..\\b.md", added("a\\..\\b.md", b"x")),
    ("bad_manifest:course.description", changed([*COURSE, "description"], "../course.md")),
    (f"missing_file:{BODY}", lambda data: rezip(data, drop=[BODY])),
    ("missing_file:cover.png", changed([*COURSE, "cover"], "cover.png")),
    ("not_utf8:course.md", added("course.md", "è".encode("latin-1"))),
    ("bad_cover", added("cover.png", b"<svg/>", change=_set([*COURSE, "cover"], "cover.png"))),
    ("too_large", added("bomb.bin", bytes(33 * 1024 * 1024))),  # 33 MB of zeros, 33 kB zipped
    ("bad_manifest:course.title", changed([*COURSE, "title"], "x" * 201)),
    ("bad_manifest:course.slug", changed([*COURSE, "slug"], "Bad Slug")),
    ("bad_manifest:course.price_cents", changed([*COURSE, "price_cents"], "199")),
    ("bad_manifest:course.modules[0].lessons[0].minutes", changed([*LESSON, "minutes"], True)),
    (
        "bad_manifest:course.modules[0].lessons[0].video_url",
        changed([*LESSON, "video_url"], "javascript:alert(1)"),
    ),
    (
        "bad_manifest:course.modules[0].lessons[0].is_draft",
        lambda data: rezip(data, change=lambda m: _lesson(m).pop("is_draft")),
    ),
    (
        "bad_manifest:course.modules.lessons.slug",
        changed(["course", "modules", 0, "lessons", 1, "slug"], "lezione-1-1"),
    ),
    ("bad_manifest:course.quizzes[0].questions[0].kind", changed([*QUESTION, "kind"], "essay")),
    (
        "bad_manifest:course.quizzes[0].questions[0].choices",
        changed([*QUESTION, "choices", 1, "is_correct"], True),  # two right answers to 'single'
    ),
    ("bad_manifest:course.quizzes[0].lesson", changed(["course", "quizzes", 0, "lesson"], "no")),
    ("bad_manifest:course.quizzes[0].module", changed(["course", "quizzes", 0, "module"], 9)),
    # Two quizzes closing one module: the outline shows one per place.
    (
        "bad_manifest:course.quizzes",
        lambda data: rezip(
            data,
            change=lambda m: m["course"]["quizzes"].append(
                {**m["course"]["quizzes"][0], "title": "Secondo"}
            ),
        ),
    ),
    ("bad_manifest:course.exam.categories[0].draw", changed([*CATEGORY, "draw"], 3)),
    (
        "bad_manifest:course.exam.categories[0].questions[0].kind",
        changed([*CATEGORY, "questions", 0, "kind"], "text"),
    ),
    # A file may be named in one place only: reuse would unpack it again each time.
    (
        "bad_manifest:course.modules[0].lessons[1].body",
        changed(["course", "modules", 0, "lessons", 1, "body"], BODY),
    ),
    ("bad_manifest:course.cover", changed([*COURSE, "cover"], "course.md")),
    ("bad_manifest:course.description", changed([*COURSE, "description"], "manifest.json")),
    # What the studio's forms refuse, the archive refuses too.
    ("bad_manifest:course.slug", changed([*COURSE, "slug"], "doppio--trattino")),
    ("bad_manifest:course.slug", changed([*COURSE, "slug"], "con_sottolineato")),
    ("bad_manifest:course.slug", changed([*COURSE, "slug"], "a" * 121)),
    ("bad_manifest:course.language", changed([*COURSE, "language"], "fr")),
    ("bad_manifest:course.price_cents", changed([*COURSE, "price_cents"], 10_000_001)),
    ("bad_manifest:course.hours", changed([*COURSE, "hours"], 1001)),
    (
        "bad_manifest:course.certificate_validity_months",
        changed([*COURSE, "certificate_validity_months"], 241),
    ),
    (
        "bad_manifest:course.certificate_validity_months",
        changed([*COURSE, "certificate_validity_months"], 0),
    ),
    (
        "bad_manifest:course.certificate_design",
        changed([*COURSE, "certificate_design"], "senza-modello"),
    ),
    (
        "bad_manifest:course.modules[0].summary",
        changed(["course", "modules", 0, "summary"], "x" * 5001),
    ),
    ("bad_manifest:course.description", added("course.md", b"x" * 50_001)),
    ("bad_manifest:course.modules[0].lessons[0].body", added(BODY, b"x" * 200_001)),
    ("bad_manifest:course.modules[0].lessons[0].slug", changed([*LESSON, "slug"], "Lezione-1")),
    ("bad_manifest:course.modules[0].lessons[0].drip_days", changed([*LESSON, "drip_days"], 366)),
    ("bad_manifest:course.modules[0].lessons[0].minutes", changed([*LESSON, "minutes"], 601)),
    (
        "bad_manifest:course.modules[0].lessons[0].video_url",
        changed([*LESSON, "video_url"], "https://example.org/video.mp4"),
    ),
    # The cover is re-encoded as the studio does it: it must be a picture the studio takes.
    (
        "bad_cover",
        added("cover.png", picture((300, 300)), change=_set([*COURSE, "cover"], "cover.png")),
    ),
    (
        "bad_cover",
        added(
            "cover.gif", picture((640, 360), "GIF"), change=_set([*COURSE, "cover"], "cover.gif")
        ),
    ),
]


@pytest.mark.parametrize(("reason", "spoil"), REFUSALS, ids=[r for r, _s in REFUSALS])
def test_a_spoiled_archive_is_refused_and_nothing_is_written(app, reason, spoil):
    data = spoil(_small_archive(app))
    with app.app_context():
        _wipe_installation(app)
        with pytest.raises(ArchiveRefused) as refused:
            course_archive.import_course(data, None, None)
        assert refused.value.reason == reason
        assert db.session.scalar(select(func.count()).select_from(Course)) == 0
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0
    assert not Path(app.config["FILES_DIR"]).exists() or not any(
        Path(app.config["FILES_DIR"]).rglob("*.*")
    )


def test_archive_limits_on_entries_and_total_size(app, monkeypatch):
    data = _small_archive(app)
    with app.app_context():
        monkeypatch.setattr(course_archive_reader, "MAX_ENTRIES", 3)
        with pytest.raises(ArchiveRefused, match="too_many_files"):
            course_archive.import_course(data, None, None, slug="altro")
        monkeypatch.setattr(course_archive_reader, "MAX_ENTRIES", 2000)
        monkeypatch.setattr(course_archive_reader, "MAX_TOTAL_BYTES", 1000)
        with pytest.raises(ArchiveRefused, match="too_large"):
            course_archive.import_course(data, None, None, slug="altro")
        monkeypatch.setattr(course_archive_reader, "MAX_ARCHIVE_BYTES", 100)
        with pytest.raises(ArchiveRefused, match="too_large"):
            course_archive.import_course(io.BytesIO(data), None, None, slug="altro")
        link = zipfile.ZipInfo("course-link.md")
        link.external_attr = 0o120777 << 16  # a symbolic link
        buffer = io.BytesIO(data)
        with zipfile.ZipFile(buffer, "a") as archive:
            archive.writestr(link, "/etc/passwd")
        monkeypatch.setattr(course_archive_reader, "MAX_ARCHIVE_BYTES", 10**8)
        monkeypatch.setattr(course_archive_reader, "MAX_TOTAL_BYTES", 10**8)
        with pytest.raises(ArchiveRefused, match="unsafe_path:course-link.md"):
            course_archive.import_course(buffer.getvalue(), None, None, slug="altro")


def test_a_taken_slug_is_refused_with_a_free_one_offered(app):
    data = _small_archive(app)
    with app.app_context():
        with pytest.raises(ArchiveRefused) as refused:
            course_archive.import_course(data, None, None)
        assert refused.value.reason == "slug_taken" and refused.value.suggestion == "piccolo-2"
        with pytest.raises(ArchiveRefused, match="bad_slug"):
            course_archive.import_course(data, None, None, slug="Nuovo Corso")
        copy = course_archive.import_course(data, None, None, slug="piccolo-copia")
        assert copy.slug == "piccolo-copia" and copy.title.startswith("Corso")
        lessons = db.session.scalar(
            select(func.count()).select_from(Lesson).where(Lesson.course_id == copy.id)
        )
        assert lessons == 2
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "course.import"))
        assert entry.details["slug"] == "piccolo-copia"
        assert entry.details["source_slug"] == "piccolo"


def test_files_are_deleted_when_the_transaction_fails(app, monkeypatch):
    with app.app_context():
        course_id = make_rich_course()
        data = course_archive.export_course(course_id)
        _wipe_installation(app)

        def broken(*_args, **_kwargs):
            raise RuntimeError("the database went away")

        monkeypatch.setattr(course_archive.audit, "record", broken)
        with pytest.raises(RuntimeError):
            course_archive.import_course(data, None, None)
        assert db.session.scalar(select(func.count()).select_from(Course)) == 0
        assert db.session.scalar(select(func.count()).select_from(Question)) == 0
    files = Path(app.config["FILES_DIR"])
    assert [p for p in files.rglob("*") if p.is_file()] == []


# -- The pages


@pytest.fixture
def instructor(app):
    with app.app_context():
        user = factories.make_user(email="docente@example.org", role="instructor", locale="en")
        return user.id


@pytest.fixture
def staff(app, instructor):
    client = app.test_client()
    assert login(client, "docente@example.org").status_code == 302
    return client


def test_students_get_403_and_visitors_the_login_page(app, logged_in):
    _small_archive(app)
    assert logged_in.get("/studio/import").status_code == 403
    assert logged_in.get("/studio/courses/piccolo/export.zip").status_code == 403
    posted = logged_in.post(
        "/studio/import", data={"archive": (io.BytesIO(b"x"), "c.zip"), "slug": "x"}
    )
    assert posted.status_code == 403
    visitor = app.test_client()
    response = visitor.get("/studio/courses/piccolo/export.zip")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Course)) == 1


def test_export_downloads_the_zip_and_is_audited(app, staff, instructor):
    _small_archive(app)
    page = staff.get("/studio/import").get_data(as_text=True)
    assert 'href="/studio/courses/piccolo/export.zip"' in page and "Export as ZIP" in page
    response = staff.get("/studio/courses/piccolo/export.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == "attachment; filename=piccolo.zip"
    manifest = json.loads(unzip(response.data)["manifest.json"])
    assert manifest["course"]["slug"] == "piccolo"
    assert len(manifest["course"]["modules"][0]["lessons"]) == 2
    assert staff.get("/studio/courses/nessuno/export.zip").status_code == 404
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "course.export")
        ).all()
        assert [(e.actor_id, e.details["slug"]) for e in entries][-1] == (instructor, "piccolo")
        assert entries[-1].ip is not None


def test_export_says_which_file_is_missing_on_the_server(app, staff):
    with app.app_context():
        course = factories.make_course(slug="senza-file", modules=1, lessons_per_module=1)
        lesson = course.modules[0].lessons[0]
        db.session.add(
            Attachment(
                lesson_id=lesson.id,
                filename="perso.pdf",
                stored_name="0" * 32 + ".pdf",
                content_type="application/pdf",
                size=10,
            )
        )
        db.session.commit()
    response = staff.get("/studio/courses/senza-file/export.zip")
    assert response.status_code == 302 and response.headers["Location"] == "/studio/import"
    page = staff.get("/studio/import").get_data(as_text=True)
    assert "Not exported: the file lezione-1-1/perso.pdf is missing on the server." in page
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "course.export")
            )
            == 0
        )


def test_import_form_validates_and_keeps_the_typed_slug(app, staff):
    data = _small_archive(app)
    page = staff.post("/studio/import", data={"slug": "mio-corso"})
    text = page.get_data(as_text=True)
    assert page.status_code == 400
    assert 'id="archive-error"' in text and "Choose the ZIP file of the course." in text
    assert 'value="mio-corso"' in text

    page = staff.post(
        "/studio/import",
        data={"archive": (io.BytesIO(b"not a zip"), "corso.zip"), "slug": "mio-corso"},
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 400 and "This file is not a ZIP archive" in text
    assert 'value="mio-corso"' in text and 'aria-invalid="true"' in text

    page = staff.post(
        "/studio/import", data={"archive": (io.BytesIO(data), "corso.zip"), "slug": "Mio Corso"}
    )
    text = page.get_data(as_text=True)
    assert 'id="slug-error"' in text and 'value="Mio Corso"' in text

    page = staff.post(
        "/studio/import",
        data={"archive": (io.BytesIO(rezip(data, drop=["course.md"])), "corso.zip")},
    )
    assert "The manifest names a file the ZIP lacks: course.md." in page.get_data(as_text=True)

    page = staff.post("/studio/import", data={"archive": (io.BytesIO(data), "corso.zip")})
    text = page.get_data(as_text=True)
    assert 'id="slug-error"' in text and "piccolo-2" in text
    assert 'value="piccolo-2"' in text  # the free slug, offered in the empty field
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Course)) == 1


def test_import_through_the_page_creates_the_course_and_is_audited(app, staff, instructor):
    data = _small_archive(app)
    response = staff.post(
        "/studio/import",
        data={"archive": (io.BytesIO(data), "piccolo.zip"), "slug": "piccolo-nuovo"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/studio/courses/piccolo-nuovo/content"
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "piccolo-nuovo"))
        assert course is not None and len(course.modules[0].lessons) == 2
        exam = db.session.scalar(select(Exam).where(Exam.course_id == course.id))
        assert [c.key for c in exam.categories] == ["cat0"]
        assert db.session.scalar(
            select(func.count()).select_from(ExamCategory).where(ExamCategory.exam_id == exam.id)
        )
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "course.import"))
        assert entry.actor_id == instructor and entry.target_id == str(course.id)
        assert entry.target_type == "courses" and entry.created_at is not None
        assert entry.details == {
            "slug": "piccolo-nuovo",
            "source_slug": "piccolo",
            "modules": 1,
            "lessons": 2,
            "attachments": 0,
            "quizzes": 1,
            "questions": 4,
            "exam_questions": 2,
        }
    page = staff.get("/studio/courses/piccolo-nuovo/content").get_data(as_text=True)
    assert "imported as piccolo-nuovo, as a draft: publish it when it is ready." in page
    with app.app_context():
        assert db.session.get(Course, course.id).is_published is False  # exported published
    form = staff.get("/studio/import").get_data(as_text=True)
    assert "The course arrives as a draft: students see it only once you publish it." in form
    assert 'href="/studio/import"' in page  # the studio's navigation leads to this page


# -- The operator's commands


def test_cli_export_and_import(app, tmp_path):
    _small_archive(app)
    runner = app.test_cli_runner()
    target = tmp_path / "piccolo.zip"
    result = runner.invoke(args=["lms", "export-course", "piccolo", str(target)])
    assert result.exit_code == 0, result.output
    assert "Course piccolo exported to" in result.output
    assert zipfile.is_zipfile(target)
    assert runner.invoke(args=["lms", "export-course", "nessuno", str(target)]).exit_code == 1

    with app.app_context():
        _wipe_installation(app)
    result = runner.invoke(args=["lms", "import-course", str(target)])
    assert result.exit_code == 0, result.output
    assert (
        "Course piccolo imported (modules: 1, lessons: 2, attachments: 0, quizzes: 1, "
        "exam questions: 2). It is a draft: publish it from the studio when it is ready."
        in result.output
    )

    result = runner.invoke(args=["lms", "import-course", str(target)])
    assert result.exit_code == 1
    assert "archive refused: slug_taken" in result.output and "piccolo-2" in result.output
    result = runner.invoke(args=["lms", "import-course", str(target), "--slug", "piccolo-bis"])
    assert result.exit_code == 0 and "Course piccolo-bis imported" in result.output

    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"nope")
    result = runner.invoke(args=["lms", "import-course", str(broken)])
    assert result.exit_code == 1 and "archive refused: not_a_zip" in result.output
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "course.import").order_by(AuditEntry.id)
        ).all()
        assert [(e.actor_id, e.details["slug"]) for e in entries] == [
            (None, "piccolo"),
            (None, "piccolo-bis"),
        ]


# -- After the review: reuse, covers, concurrency, paths, files, limits


def test_bytes_unpacked_are_counted_even_if_a_file_were_named_again(app, monkeypatch):
    """Each file may be named once; the count of bytes read holds on its own as well."""
    data = _small_archive(app)
    blob = bytes(range(256)) * 40  # 10,240 bytes

    def many_attachments(manifest):
        _lesson(manifest)["attachments"] = [
            {"filename": f"copia-{n}.bin", "content_type": "application/octet-stream",
             "path": "attachments/01-01/01-blob.bin"}
            for n in range(20)
        ]  # fmt: skip

    spoiled = rezip(data, add={"attachments/01-01/01-blob.bin": blob}, change=many_attachments)
    with app.app_context():
        _wipe_installation(app)
        with pytest.raises(ArchiveRefused) as refused:
            course_archive.import_course(spoiled, None, None)
        assert (
            refused.value.reason == "bad_manifest:course.modules[0].lessons[0].attachments[1].path"
        )

        monkeypatch.setattr(course_archive_reader._Reader, "claim", lambda *_args: None)
        monkeypatch.setattr(course_archive_reader, "MAX_TOTAL_BYTES", 60_000)
        entries = zipfile.ZipFile(io.BytesIO(spoiled)).infolist()
        assert sum(entry.file_size for entry in entries) < 60_000  # the directory's sum passes
        with pytest.raises(ArchiveRefused, match="too_large"):
            course_archive.import_course(spoiled, None, None)  # 20 x 10 kB read: refused
        assert db.session.scalar(select(func.count()).select_from(Course)) == 0

        monkeypatch.setattr(course_archive_reader, "MAX_TOTAL_BYTES", 400_000)
        course = course_archive.import_course(spoiled, None, None)  # the same, within budget
        sizes = db.session.scalars(
            select(Attachment.size).join(Lesson).where(Lesson.course_id == course.id)
        ).all()
        assert sizes == [len(blob)] * 20


def test_an_imported_cover_is_a_webp_that_is_served_and_deleted_on_replace(app, staff, instructor):
    data = _small_archive(app)
    for kind, name in (("PNG", "cover.png"), ("JPEG", "cover.jpg")):
        archive = rezip(
            data,
            add={name: picture((800, 600), kind)},
            change=_set([*COURSE, "cover"], name),
        )
        slug = f"copertina-{kind.lower()}"
        with app.app_context():
            course = course_archive.import_course(archive, None, None, slug=slug)
            cover = course.cover_image
            stored = course_files.covers_dir() / cover
            assert photos.is_photo_name(cover)
            assert picture_facts(stored.read_bytes()) == ("WEBP", (1280, 720))
            assert (
                pixel_difference(  # the same picture, cropped to 16:9 and re-encoded
                    stored.read_bytes(),
                    _fitted(picture((800, 600), kind), course_authoring.COVER_SIZE),
                )
                < 3
            )
        with staff.get(f"/courses/covers/{cover}") as response:
            assert response.status_code == 200 and response.mimetype == "image/webp"
            assert picture_facts(response.data) == ("WEBP", (1280, 720))
        with app.app_context():
            user = db.session.get(factories.User, instructor)
            course_authoring.set_cover(user, course.id, io.BytesIO(picture()), None)
            assert not stored.exists()  # replaced: the imported cover's file is gone
            assert photos.is_photo_name(db.session.get(Course, course.id).cover_image)


def _fitted(data: bytes, size: tuple[int, int]) -> bytes:
    from PIL import ImageOps

    with Image.open(io.BytesIO(data)) as image:
        fitted = ImageOps.fit(image.convert("RGB"), size, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    fitted.save(buffer, "PNG")
    return buffer.getvalue()


def test_export_survives_a_write_committed_by_another_connection_meanwhile(app, monkeypatch):
    """On SQLite a read transaction cannot turn into a write once another connection has
    committed ("database is locked" at once); the export must not keep its reading open."""
    from sqlalchemy import create_engine, text

    with app.app_context():
        course_id = make_rich_course()
        other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        build_zip = course_archive_writer._zip

        def zip_while_someone_else_writes(*args):
            with other.begin() as connection:
                connection.execute(
                    text("UPDATE courses SET subtitle = 'Cambiato altrove' WHERE id = :id"),
                    {"id": course_id},
                )
            return build_zip(*args)

        monkeypatch.setattr(course_archive_writer, "_zip", zip_while_someone_else_writes)
        try:
            data = course_archive.export_course(course_id)
        finally:
            other.dispose()
        manifest = json.loads(unzip(data)["manifest.json"])
        assert manifest["course"]["subtitle"] == "Il mestiere, passo per passo"  # as read
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "course.export"))
        assert entry.target_id == str(course_id) and entry.details["bytes"] == len(data)
        assert db.session.get(Course, course_id).subtitle == "Cambiato altrove"


def test_attachments_of_lessons_with_long_alike_slugs_keep_their_own_bytes(app):
    with app.app_context():
        course = factories.make_course(slug="slug-lunghi", modules=1, lessons_per_module=2)
        first, second = course.modules[0].lessons
        first.slug, second.slug = "a" * 60 + "-uno", "a" * 60 + "-due"
        db.session.commit()
        _attach(first, "scheda.pdf", "application/pdf", b"%PDF-1.7 prima")
        _attach(second, "scheda.pdf", "application/pdf", b"%PDF-1.7 seconda")
        db.session.commit()
        data = course_archive.export_course(course.id)
        _wipe_installation(app)
        imported = course_archive.import_course(data, None, None)
        folder = course_files.attachments_dir()
        contents = [
            [(folder / a.stored_name).read_bytes() for a in _attachments_of(lesson)]
            for lesson in imported.modules[0].lessons
        ]
        assert contents == [[b"%PDF-1.7 prima"], [b"%PDF-1.7 seconda"]]
    files = unzip(data)
    assert files["attachments/01-01/01-scheda.pdf"] == b"%PDF-1.7 prima"
    assert files["attachments/01-02/01-scheda.pdf"] == b"%PDF-1.7 seconda"


def _attachments_of(lesson: Lesson) -> list[Attachment]:
    return list(db.session.scalars(select(Attachment).where(Attachment.lesson_id == lesson.id)))


def test_the_archive_writer_never_overwrites_a_path():
    files: dict[str, bytes] = {}
    course_archive_writer._put(files, "attachments/01-01/01-a.pdf", b"first")
    with pytest.raises(ValueError, match="attachments/01-01/01-a.pdf"):
        course_archive_writer._put(files, "attachments/01-01/01-a.pdf", b"second")
    assert files == {"attachments/01-01/01-a.pdf": b"first"}


def test_import_writes_its_files_before_taking_the_write_lock(app, monkeypatch):
    import sqlite3

    from sqlalchemy.engine import make_url

    with app.app_context():
        course_id = make_rich_course()
        data = course_archive.export_course(course_id)
        _wipe_installation(app)
        url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        seen: list[tuple[str, bool, bool]] = []

        def others_can_write() -> bool:
            if url.get_backend_name() != "sqlite":
                return True  # PostgreSQL has no database-wide write lock
            probe = sqlite3.connect(url.database, timeout=0, isolation_level=None)
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.execute("ROLLBACK")
                return True
            except sqlite3.OperationalError:
                return False
            finally:
                probe.close()

        def watched(name, real):
            def write(*args, **kwargs):
                seen.append((name, db.session().in_transaction(), others_can_write()))
                return real(*args, **kwargs)

            return write

        monkeypatch.setattr(
            course_files, "write_file", watched("attachment", course_files.write_file)
        )
        monkeypatch.setattr(photos, "store_picture", watched("cover", photos.store_picture))
        course = course_archive.import_course(data, None, None)
        assert seen and all(not in_transaction and free for _n, in_transaction, free in seen)
        assert [name for name, _t, _w in seen] == ["cover"] + ["attachment"] * 3
        assert len(_attachments_of(course.modules[0].lessons[0])) == 2


def test_a_slug_taken_meanwhile_deletes_the_files_written(app, monkeypatch):
    with app.app_context():
        course_id = make_rich_course()
        data = course_archive.export_course(course_id)
        _wipe_installation(app)
        original = course_archive._write_files

        def write_then_someone_takes_the_slug(checked):
            written = original(checked)
            factories.make_course(slug="assistente-virtuale")
            return written

        monkeypatch.setattr(course_archive, "_write_files", write_then_someone_takes_the_slug)
        with pytest.raises(ArchiveRefused) as refused:
            course_archive.import_course(data, None, None)
        assert refused.value.reason == "slug_taken"
        assert refused.value.suggestion == "assistente-virtuale-2"
        assert db.session.scalar(select(func.count()).select_from(Course)) == 1
    files = Path(app.config["FILES_DIR"])
    assert [p for p in files.rglob("*") if p.is_file()] == []


def test_an_import_is_a_draft_with_the_studio_limits_and_a_recomputed_exam_size(app):
    def at_the_studio_limits(manifest):
        course = manifest["course"]
        course.update(
            price_cents=10_000_000,
            language="en",
            hours=1000,
            certificate_validity_months=240,
            is_published=True,
        )
        course["modules"][0]["lessons"][0].update(drip_days=365, minutes=600)
        course["exam"]["questions_per_attempt"] = 99

    data = rezip(_small_archive(app), change=at_the_studio_limits)
    with app.app_context():
        course = course_archive.import_course(data, None, None, slug="ai-limiti")
        assert course.is_published is False
        assert (course.price_cents, course.language, course.hours) == (10_000_000, "en", 1000)
        assert course.certificate_validity_months == 240
        lesson = course.modules[0].lessons[0]
        assert (lesson.drip_days, lesson.minutes) == (365, 600)
        exam = db.session.scalar(select(Exam).where(Exam.course_id == course.id))
        assert exam.questions_per_attempt == sum(c.draw for c in exam.categories) == 1


def test_a_failed_write_leaves_no_partial_file(app, tmp_path, monkeypatch):
    def disk_full(self, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "replace", disk_full)
    with pytest.raises(OSError, match="No space left"):
        course_files.write_file(tmp_path, "file.pdf", b"%PDF-1.7")
    assert list(tmp_path.iterdir()) == []


def _zip_spy(monkeypatch) -> list:
    """Record every ZipFile the reader opens: a refusal from the end record opens none."""
    opened = []
    real = zipfile.ZipFile

    def spy(*args, **kwargs):
        opened.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(course_archive_reader.zipfile, "ZipFile", spy)
    return opened


def _end_record_counts(data: bytes, entries: int) -> bytes:
    """The same ZIP, its end record stating another number of entries."""
    raw = bytearray(data)
    end = raw.rfind(b"PK\x05\x06")
    raw[end + 8 : end + 12] = entries.to_bytes(2, "little") * 2
    return bytes(raw)


def test_too_many_entries_are_refused_from_the_end_record_before_the_directory(app, monkeypatch):
    data = _small_archive(app)
    count = len(zipfile.ZipFile(io.BytesIO(data)).infolist())
    zip64_buffer = io.BytesIO()
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 2)  # makes the writer add a ZIP64 end
    with zipfile.ZipFile(zip64_buffer, "w") as archive:
        for name, content in unzip(data).items():
            archive.writestr(name, content)
    monkeypatch.undo()
    zip64 = _end_record_counts(zip64_buffer.getvalue(), 0xFFFF)  # "see the ZIP64 record"
    assert b"PK\x06\x06" in zip64 and len(zipfile.ZipFile(io.BytesIO(zip64)).infolist()) == count

    with app.app_context():
        assert course_archive.import_course(zip64, None, None, slug="zip64").slug == "zip64"
        opened = _zip_spy(monkeypatch)
        monkeypatch.setattr(course_archive_reader, "MAX_ENTRIES", count - 1)
        for archive in (data, zip64):
            with pytest.raises(ArchiveRefused, match="too_many_files"):
                course_archive.import_course(archive, None, None, slug="altro")
        assert opened == []
        monkeypatch.setattr(course_archive_reader, "MAX_ENTRIES", 2000)
        # An end record that understates the entries: the directory's size still gives it away.
        monkeypatch.setattr(course_archive_reader, "MAX_DIRECTORY_BYTES", 200)
        with pytest.raises(ArchiveRefused, match="too_many_files"):
            course_archive.import_course(_end_record_counts(data, 1), None, None, slug="altro")
        assert opened == []
        assert db.session.scalar(select(func.count()).select_from(Course)) == 2
