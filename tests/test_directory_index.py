"""The in-memory index of the listing: patched after each change, it must answer as one built
afresh; and the bit helpers it stands on."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import Certificate, Profile, utcnow
from lms.services import certificates, directory, directory_index, scale_seed
from lms.services.bitsets import bits_of, insert_bit, set_bits, with_bit
from lms.services.directory_search import Filters, search
from tests import factories

QUERIES = [
    ("", Filters(), "newest"),
    ("wordpress", Filters(), "relevance"),
    ("assistente virtuale", Filters(), "relevance"),
    ("contabilità", Filters(region="Lombardia"), "newest"),
    ("newsletter", Filters(languages=("en",)), "relevance"),
    ("", Filters(specializations=("social_media",), availability="available"), "newest"),
    ("", Filters(roles=("executive_assistant",)), "relevance"),
    ("Rossi", Filters(), "relevance"),
    ("grafica", Filters(), "relevance"),
]


def answers(now) -> list:
    """Everything a client sees for each query: totals, every card in order, every count."""
    seen = []
    for query, filters, sort in QUERIES:
        results = search(query, filters, sort, 1, now, per_page=500)
        seen.append((results.total, [card.slug for card in results.cards], results.counts))
    return seen


def fresh_answers(make_app, now) -> list:
    with make_app().app_context():
        return answers(now)


@pytest.fixture
def seeded(app):
    with app.app_context():
        standings = {"listed": 40, "expired": 3, "revoked": 3, "unpublished": 3, "deleted": 1}
        scale_seed.seed_directory(50, seed=5, standings=standings)
    return app


def test_patched_index_answers_as_a_fresh_one(seeded, make_app):
    rng = random.Random(11)
    with seeded.app_context():
        now = utcnow()
        assert answers(now) == fresh_answers(make_app, now)  # words read, kept by the index
        built = directory_index.current(now)
        profiles = db.session.execute(select(Profile.id, Profile.user_id)).all()
        course = factories.make_course(slug="altro", title="Altro corso")
        for step in range(12):
            pid, user_id = rng.choice(profiles)
            kind = step % 6
            if kind == 0:  # words, filters and region edited where the profile stands
                profile = db.session.get(Profile, pid)
                data = directory.ProfileData(
                    display_name=profile.display_name,
                    slug=profile.slug,
                    headline=rng.choice(["Grafica e WordPress", "Contabilità per studi"]),
                    bio="Newsletter, contabilità e assistente virtuale.",
                    region=rng.choice(["Lombardia", "umbria", "Sicilia"]),
                    specializations=rng.sample(["wordpress", "bookkeeping", "crm"], 2),
                    languages=["it", "en"],
                    availability=rng.choice(["available", "limited"]),
                )
                directory.save_profile(user_id, data)
            elif kind == 1:  # out, and back in at the same place
                directory.set_published(user_id, False)
                assert answers(now) == fresh_answers(make_app, now)
                if directory.is_certified(user_id, now):
                    directory.set_published(user_id, True)
            elif kind == 2:
                certificate = db.session.scalar(
                    select(Certificate).where(Certificate.user_id == user_id)
                )
                if certificate.revoked_at is None and certificate.suspended_at is None:
                    certificates.change_status(None, certificate.id, "suspend", "test", None)
            elif kind == 3:  # a new graduate goes in at the top of the order
                factories.make_graduate(
                    course, f"Nuova Rossi {step}", headline="Grafica", specializations=("crm",)
                )
            elif kind == 4:
                certificate = db.session.scalar(
                    select(Certificate).where(Certificate.user_id == user_id)
                )
                if certificate.suspended_at is not None and certificate.revoked_at is None:
                    certificates.change_status(None, certificate.id, "unsuspend", "test", None)
            else:
                directory.set_published(user_id, False)
            assert answers(now) == fresh_answers(make_app, now), f"step {step}"
        # "contabilità" was only ever searched by newest: its name-and-headline set was never
        # read, and a patch must not make one up from the changed profiles alone.
        late = search("contabilità", Filters(), "relevance", 1, now, per_page=500)
        with make_app().app_context():
            fresh = search("contabilità", Filters(), "relevance", 1, now, per_page=500)
        assert [card.slug for card in late.cards] == [card.slug for card in fresh.cards]
        patched = directory_index.current(now)
        assert patched.built_for == built.built_for  # patched all along, never built again
        assert ("anywhere", "wordpress") in patched.sets  # and the words were kept


def test_a_request_never_reads_older_than_the_index(seeded):
    """Another thread may bring the index past what this request's transaction can see (on
    SQLite a read transaction keeps the snapshot of its first read): cards and words must then
    be read again, or a page kept for the new state would show the old one."""
    with seeded.app_context():
        now = utcnow()
        shown = search("", Filters(), "newest", 1, now).cards[0]
        with seeded.app_context():  # another request edits the profile and patches the index
            profile = db.session.scalar(select(Profile).where(Profile.slug == shown.slug))
            data = directory.ProfileData(
                display_name=profile.display_name, slug=profile.slug, headline="Tutto nuovo"
            )
            directory.save_profile(profile.user_id, data)
            directory_index.current(now)
        results = search("", Filters(), "newest", 1, now)
        assert results.cards[0].slug == shown.slug
        assert results.cards[0].headline == "Tutto nuovo"


def test_a_bulk_load_builds_the_index_again(seeded):
    with seeded.app_context():
        now = utcnow()
        before = directory_index.current(now)
        scale_seed.seed_directory(3, seed=8, standings={"listed": 1})
        after = directory_index.current(now)
        assert after is not before and after.size == before.size + 3


def test_certificates_that_expire_are_masked_without_a_rebuild(seeded):
    with seeded.app_context():
        now = utcnow()
        listed = search("", Filters(), "newest", 1, now)
        slug = listed.cards[0].slug
        user_id = db.session.scalar(select(Profile.user_id).where(Profile.slug == slug))
        certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == user_id))
        certificate.expires_at = now + timedelta(hours=1)
        directory.refresh_certification(user_id)
        db.session.commit()
        snapshot = directory_index.current(now)
        later = now + timedelta(hours=2)
        results = search("", Filters(), "newest", 1, later)
        assert results.total == listed.total - 1 and slug not in {c.slug for c in results.cards}
        assert directory_index.current(later) is snapshot


def test_bits():
    assert bits_of([0, 3, 5], 6) == 0b101001
    assert bits_of([0, 6], 6) == 1  # the scratch bit is left out
    assert set_bits(0b101101, 1, 2) == [2, 3]
    wide = bits_of(range(0, 20_000, 7), 20_000)
    assert set_bits(wide, 1000, 3) == [7000, 7007, 7014]
    assert insert_bit(0b1011, 2, True) == 0b10111
    assert insert_bit(0b1011, 0, False) == 0b10110
    assert with_bit(0b1011, 2, True) == 0b1111 and with_bit(0b1011, 0, False) == 0b1010
