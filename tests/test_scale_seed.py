"""Seeding many graduates: rows that agree with one another, and who the directory lists."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import (
    LANGUAGES,
    ROLES,
    SPECIALIZATIONS,
    Certificate,
    Profile,
    StatusSlot,
    User,
    utcnow,
)
from lms.services import credentials, scale_profiles, scale_seed
from lms.services.directory_search import Filters, search
from lms.services.italian_words import search_text

# Every standing drawn often enough that 30 profiles hold each of them.
EVEN_STANDINGS = {"listed": 10, "expired": 5, "revoked": 5, "unpublished": 5, "deleted": 5}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _slugs(*conditions) -> set[str]:
    statement = (
        select(Profile.slug)
        .join(User, User.id == Profile.user_id)
        .join(Certificate, Certificate.user_id == User.id)
        .where(*conditions)
    )
    return set(db.session.scalars(statement))


def test_the_vocabularies_name_only_known_codes():
    assert set(scale_profiles.TOPICS) == set(SPECIALIZATIONS)
    assert set(scale_profiles.ROLE_TITLES) == set(ROLES)
    assert set(scale_profiles.EXTRA_LANGUAGE_WEIGHTS) <= set(LANGUAGES)
    assert len(scale_profiles.SPECIALIZATION_WEIGHTS) == len(SPECIALIZATIONS)
    assert len(scale_profiles.ROLE_WEIGHTS) == len(ROLES)


def test_search_lists_the_good_profiles_and_hides_the_others(ctx):
    now = utcnow()
    summary = scale_seed.seed_directory(30, seed=3, now=now, standings=EVEN_STANDINGS)

    assert summary.profiles == 30
    assert sum(summary.standings.values()) == 30
    assert set(summary.standings) == set(EVEN_STANDINGS)
    assert [_count(m) for m in (User, Certificate, StatusSlot, Profile)] == [30, 30, 30, 30]

    expired = _slugs(Certificate.expires_at <= now)
    revoked = _slugs(Certificate.revoked_at.is_not(None))
    unpublished = _slugs(Profile.published.is_(False))
    deleted = _slugs(User.deleted_at.is_not(None))
    hidden = expired | revoked | unpublished | deleted
    assert expired and revoked and unpublished and deleted

    results = search("", Filters(), "newest", 1, now, per_page=100)
    found = {card.slug for card in results.cards}
    assert results.total == summary.listed == len(found) == 30 - len(hidden)
    assert not found & hidden
    assert found == _slugs() - hidden


def test_seeded_rows_agree_with_what_the_app_would_store(ctx):
    now = utcnow()
    scale_seed.seed_directory(30, seed=5, now=now, standings=EVEN_STANDINGS)

    for profile in db.session.scalars(select(Profile)):
        assert profile.search_text == search_text(
            profile.display_name, profile.headline, profile.bio, profile.services
        )
        assert profile.specializations and profile.roles and profile.languages
    # Each certificate sits in its own slot, whose revocation bit says whether it is revoked.
    slots = db.session.execute(
        select(StatusSlot, Certificate).join(
            Certificate, Certificate.id == StatusSlot.certificate_id
        )
    ).all()
    assert len(slots) == 30
    for slot, held in slots:
        assert (slot.status_list, slot.status_index) == (held.status_list, held.status_index)
        assert slot.revoked == (held.revoked_at is not None)
    certificate = db.session.scalars(select(Certificate)).first()
    assert credentials.check_signature(certificate.credential_jwt) is not None

    # A bio speaks of bookkeeping in Italian only when the profile offers it.
    bookkeeping = 1 << SPECIALIZATIONS.index("bookkeeping")
    results = search("contabilità", Filters(), "relevance", 1, now, per_page=100)
    offering = set(
        db.session.scalars(
            select(Profile.slug).where(Profile.specializations.op("&")(bookkeeping) != 0)
        )
    )
    assert results.cards
    assert {card.slug for card in results.cards} <= offering


def test_a_second_seed_adds_people_beside_the_first(ctx):
    scale_seed.seed_directory(5, seed=1)
    scale_seed.seed_directory(5, seed=1)

    assert _count(Profile) == 10
    slots = db.session.execute(select(StatusSlot.status_list).distinct()).scalars().all()
    assert sorted(slots) == [1, 2]


def test_the_command_prints_what_it_made_and_refuses_production(app, ctx):
    result = app.test_cli_runner().invoke(args=["lms", "seed-scale", "--profiles", "4"])
    assert result.exit_code == 0, result.output
    assert "Created 4 students" in result.output

    app.config["LMS_ENV"] = "production"
    with pytest.raises(scale_seed.SeedRefused):
        scale_seed.seed_directory(1)
    result = app.test_cli_runner().invoke(args=["lms", "seed-scale", "--profiles", "4"])
    assert result.exit_code != 0
    assert "not added in production" in result.output
    assert _count(Profile) == 4
