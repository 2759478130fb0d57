"""Issuing certificates and their lifecycle: codes, one per student and course, renewal, status."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import (
    AuditEntry,
    Certificate,
    CertificateStatus,
    Course,
    Exam,
    ExamQuestion,
    OutboxEmail,
    StatusSlot,
    User,
)
from lms.services import certificates, exams
from tests import factories

START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def setup(app):
    with app.app_context():
        course = factories.make_course(
            slug="corso", title="Assistente Virtuale", certificate_validity_months=24, hours=20
        )
        exam = factories.make_exam(course)
        user = factories.make_user(email="candidata@example.org", name="Lucia Neri")
        factories.make_enrollment(user, course)
        return {"course": course.id, "exam": exam.id, "user": user.id}


def _take_exam(ids, now, right=True):
    exam = db.session.get(Exam, ids["exam"])
    user = db.session.get(User, ids["user"])
    exams.accept_pledge(user.id, exam, "127.0.0.1")
    attempt = exams.start_attempt(user, exam, now)
    for sequence, item in enumerate(attempt.layout, start=1):
        question = db.session.get(ExamQuestion, item["question_id"])
        wanted = next(c.id for c in question.choices if c.is_correct == right)
        token = next(o["token"] for o in item["options"] if o["choice_id"] == wanted)
        exams.save_answer(attempt.public_id, user.id, item["token"], [token], sequence)
    return exams.submit(attempt.public_id, user.id)


def _certificate(ids) -> Certificate | None:
    return certificates.certificate_for(ids["user"], ids["course"])


def test_codes_are_random_crockford_and_read_in_any_spelling():
    codes = {certificates.generate_code() for _ in range(500)}
    assert len(codes) == 500
    assert all(len(code) == 12 and set(code) <= set(certificates.ALPHABET) for code in codes)
    assert certificates.normalize_code("7kq2-m9xd-4hnp") == "7KQ2M9XD4HNP"
    assert certificates.normalize_code(" 7KQ2 M9XD 4HNP ") == "7KQ2M9XD4HNP"
    assert certificates.normalize_code("7KQ2M9XD4HNP") == "7KQ2M9XD4HNP"
    # Crockford's aliases: O is zero, I and L are one
    assert certificates.normalize_code("OIL0-0000-0000") == "011000000000"
    for bad in ("", "7KQ2-M9XD-4HN", "7KQ2-M9XD-4HNPX", "UUUU-UUUU-UUUU", "7KQ2/M9XD/4HNP"):
        assert certificates.normalize_code(bad) is None


def test_passing_the_exam_issues_the_certificate_in_the_same_flow(app, setup):
    with app.app_context(), time_machine.travel(START, tick=False):
        attempt = _take_exam(setup, START)
        assert attempt.passed
        certificate = _certificate(setup)
        assert certificate.exam_attempt_id == attempt.id
        assert certificate.holder_name == "Lucia Neri"
        assert certificate.course_title == "Assistente Virtuale"
        assert certificate.course_hours == 20
        assert certificate.issued_at == START
        # 24 calendar months on, to the end of that day in Rome (the date printed).
        assert certificate.expires_at == datetime(2028, 6, 1, 21, 59, 59, tzinfo=UTC)
        assert certificate.status_at(START) == CertificateStatus.VALID
        assert certificate.display_code.count("-") == 2
        mail = db.session.scalar(
            select(OutboxEmail).where(OutboxEmail.kind == "certificate_issued")
        )
        assert mail.to_email == "candidata@example.org"
        assert f"http://lms.test/verify/{certificate.display_code}" in mail.body_text
        assert "http://lms.test/certificates/" in mail.body_text
        actions = set(db.session.scalars(select(AuditEntry.action)))
        assert {"exam.close", "certificate.issue"} <= actions


def test_a_failed_exam_issues_nothing(app, setup):
    with app.app_context(), time_machine.travel(START, tick=False):
        assert not _take_exam(setup, START, right=False).passed
        assert _certificate(setup) is None


def test_a_course_without_validity_issues_certificates_that_never_expire(app, setup):
    with app.app_context():
        db.session.get(Course, setup["course"]).certificate_validity_months = None
        db.session.commit()
        certificate = factories.make_certificate(
            db.session.get(User, setup["user"]), db.session.get(Course, setup["course"])
        )
        assert certificate.expires_at is None
        assert certificate.status_at(START + timedelta(days=36500)) == CertificateStatus.VALID


def test_one_certificate_per_student_and_course_even_when_issued_at_once(app, setup):
    def issue():
        with app.app_context():
            user = db.session.get(User, setup["user"])
            course = db.session.get(Course, setup["course"])
            certificates.issue_by_instructor(None, user, course, "parallel")

    threads = [threading.Thread(target=issue) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        assert db.session.scalar(select(func.count(Certificate.id))) == 1
        issued = db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "certificate.issue")
        )
        assert issued == 1


def test_names_stay_as_issued(app, setup):
    with app.app_context():
        user = db.session.get(User, setup["user"])
        course = db.session.get(Course, setup["course"])
        certificate = factories.make_certificate(user, course)
        user.name, course.title = "Lucia Bianchi", "Nuovo titolo"
        db.session.commit()
        again = certificates.issue_by_instructor(None, user, course, "again")
        assert again.id == certificate.id
        assert (again.holder_name, again.course_title) == ("Lucia Neri", "Assistente Virtuale")


def test_status_slots_are_random_unique_and_fill_lists_by_half(make_app):
    app = make_app(STATUS_LIST_BITS=16)
    with app.app_context():
        course = factories.make_course(slug="piccolo")
        slots = []
        for n in range(12):
            user = factories.make_user(email=f"s{n}@example.org")
            certificate = factories.make_certificate(user, course)
            slots.append((certificate.status_list, certificate.status_index))
        assert len(set(slots)) == 12
        assert [number for number, _ in slots] == [1] * 8 + [2] * 4
        assert all(0 <= index < 16 for _, index in slots)


def test_revoke_suspend_reinstate_are_audited_and_idempotent(app, setup):
    with app.app_context():
        admin = factories.make_user(email="docente@example.org", role="instructor")
        certificate = factories.make_certificate(
            db.session.get(User, setup["user"]), db.session.get(Course, setup["course"])
        )
        change = certificates.change_status
        revoked = change(admin.id, certificate.id, "revoke", "Plagio accertato", "10.0.0.1")
        assert revoked.status_at(revoked.revoked_at) == CertificateStatus.REVOKED
        assert revoked.revoked_reason == "Plagio accertato"
        change(admin.id, certificate.id, "revoke", "doppio clic", "10.0.0.1")
        assert revoked.revoked_reason == "Plagio accertato"
        old_slot = (revoked.status_list, revoked.status_index)
        reinstated = change(admin.id, certificate.id, "reinstate", "Errore", None)
        assert reinstated.revoked_at is None
        # Revocation is final in the status list: a new slot, a new credential, a new edition.
        assert (reinstated.status_list, reinstated.status_index) != old_slot
        assert reinstated.edition == 2
        assert db.session.get(StatusSlot, old_slot).revoked
        suspended = change(admin.id, certificate.id, "suspend", "Verifica in corso", None)
        assert suspended.status_at(START) == CertificateStatus.SUSPENDED
        assert change(admin.id, certificate.id, "unsuspend", "Chiarito", None).suspended_at is None
        entries = db.session.execute(
            select(AuditEntry.action, AuditEntry.actor_id, AuditEntry.details)
            .where(AuditEntry.action.like("certificate.%"), AuditEntry.actor_id == admin.id)
            .order_by(AuditEntry.id)
        ).all()
        assert [entry.action for entry in entries] == [
            "certificate.revoke",
            "certificate.reinstate",
            "certificate.suspend",
            "certificate.unsuspend",
        ]
        assert entries[0].details["reason"] == "Plagio accertato"
        # Revoking a suspended certificate ends the suspension: revocation supersedes it.
        change(admin.id, certificate.id, "suspend", "Verifica", None)
        final = change(admin.id, certificate.id, "revoke", "Definitivo", None)
        assert final.suspended_at is None and final.revoked_at is not None
        assert certificates.allowed_actions(final) == [certificates.Action.REINSTATE]
        with pytest.raises(certificates.CertificateRefused):
            change(admin.id, 999999, "revoke", "x", None)


def test_expiry_then_renewal_by_passing_the_exam_again(app, setup):
    with app.app_context():
        with time_machine.travel(START, tick=False):
            _take_exam(setup, START)
        first = _certificate(setup)
        code, first_expiry = first.code, first.expires_at
        exam = db.session.get(Exam, setup["exam"])
        early = START + timedelta(days=300)
        assert exams.next_start(exam, setup["user"], early) == ("already_passed", None)
        later = first_expiry + timedelta(days=3)
        assert first.status_at(later) == CertificateStatus.EXPIRED
        assert exams.next_start(exam, setup["user"], later) == (None, None)
        with time_machine.travel(later, tick=False):
            _take_exam(setup, later)
        renewed = _certificate(setup)
        assert (renewed.code, renewed.edition) == (code, 2)
        assert renewed.expires_at == datetime(2030, 6, 4, 21, 59, 59, tzinfo=UTC)
        assert renewed.issued_at == later
        assert renewed.status_at(later) == CertificateStatus.VALID
        assert exams.next_start(exam, setup["user"], later + timedelta(days=1))[0] == (
            "already_passed"
        )
        assert "certificate.renew" in set(db.session.scalars(select(AuditEntry.action)))


def test_a_revoked_certificate_is_not_renewed_by_a_pass(app, setup):
    with app.app_context():
        with time_machine.travel(START, tick=False):
            _take_exam(setup, START)
        certificate = _certificate(setup)
        certificates.change_status(None, certificate.id, "revoke", "Violazione del codice", None)
        later = certificate.expires_at + timedelta(days=1)
        exam = db.session.get(Exam, setup["exam"])
        assert exams.next_start(exam, setup["user"], later)[0] == "already_passed"
        with pytest.raises(certificates.CertificateRefused):
            certificates.issue_certificate(
                db.session.get(User, setup["user"]), db.session.get(Course, setup["course"])
            )


def test_renewing_early_keeps_the_days_left(app, setup):
    with app.app_context():
        with time_machine.travel(START, tick=False):
            _take_exam(setup, START)
        first = _certificate(setup)
        old_expiry = first.expires_at
        early = old_expiry - timedelta(days=60)
        with time_machine.travel(early, tick=False):
            _take_exam(setup, early)
        renewed = _certificate(setup)
        assert renewed.edition == 2 and renewed.issued_at == early
        assert renewed.expires_at.date() == datetime(2030, 6, 1, tzinfo=UTC).date()
