"""Directory search: who is listed, full text with Italian stems, filters, counts, sort, pages.

The same assertions run on SQLite (FTS5) and PostgreSQL (tsvector, `italian`): both must give
the same results on the same data.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from lms.extensions import db
from lms.models import utcnow
from lms.services import certificates, directory
from lms.services.directory_listing import listing_changed
from lms.services.directory_search import Filters, search
from lms.services.italian_words import search_text, words_of
from tests import factories


@pytest.fixture
def course(ctx):
    return factories.make_course(slug="va", title="Assistente Virtuale")


@pytest.fixture
def people(course):
    """Four listed graduates with different specialties."""
    return {
        "giulia": factories.make_graduate(
            course,
            "Giulia Neri",
            headline="Siti WordPress e newsletter per professionisti",
            bio="Gestisco **siti** WordPress, campagne di newsletter e aree riservate.",
            services="Manutenzione WordPress\nNewsletter mensile",
            city="Milano",
            region="Lombardia",
            languages=("it", "en"),
            roles=("web_marketing_assistant",),
            specializations=("wordpress", "newsletter", "online_courses"),
            availability="available",
        ),
        "marco": factories.make_graduate(
            course,
            "Marco Bianchi",
            headline="Social media manager per piccoli negozi",
            bio="Pianifico i contenuti social e rispondo ai clienti.",
            city="Roma",
            region="Lazio",
            languages=("it",),
            roles=("social_media_manager",),
            specializations=("social_media", "customer_care"),
            availability="limited",
        ),
        "sara": factories.make_graduate(
            course,
            "Sara Russo",
            headline="Contabilità e amministrazione",
            bio="Tengo la contabilità di liberi professionisti e gestisco le fatture.",
            city="Bergamo",
            region="lombardia",
            languages=("it", "de"),
            roles=("administrative_assistant", "executive_assistant"),
            specializations=("bookkeeping",),
            availability="available",
        ),
        "luca": factories.make_graduate(
            course,
            "Luca Gallo",
            headline="Grafica e social",
            bio="Creo grafiche per i social network e gestisco newsletter.",
            region="Sicilia",
            languages=("it", "en", "fr"),
            roles=("social_media_manager",),
            specializations=("graphic_design", "social_media", "newsletter"),
            availability="unavailable",
            mentoring=True,
        ),
    }


def slugs(results) -> set[str]:
    return {card.slug for card in results.cards}


def find(query="", now=None, sort="relevance", page=1, **filters):
    return search(query, Filters(**filters), sort, page, now or utcnow())


def test_everyone_listed_is_found_newest_certified_first(people):
    results = find()
    assert results.total == 4
    assert [card.slug for card in results.cards] == [
        "luca-gallo",
        "sara-russo",
        "marco-bianchi",
        "giulia-neri",
    ]
    assert results.sort == "newest"  # nothing to rank by without words


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("wordpress", {"giulia-neri"}),
        ("WordPress newsletter", {"giulia-neri"}),
        ("newsletter", {"giulia-neri", "luca-gallo"}),
        ("contabilità", {"sara-russo"}),
        ("contabile", {"sara-russo"}),  # Italian stems: contabil-
        ("fattura", {"sara-russo"}),  # fatture -> fattur
        ("social", {"marco-bianchi", "luca-gallo"}),
        ("gestire newsletter", {"giulia-neri", "luca-gallo"}),  # gestisco / gestire: gest-
        ("Neri", {"giulia-neri"}),
        ("manutenzione", {"giulia-neri"}),  # services are searched
        ("idraulico", set()),
    ],
)
def test_full_text_with_italian_stemming(people, query, expected):
    results = find(query)
    assert slugs(results) == expected
    assert results.total == len(expected)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("wordpress OR 1=1", set()),  # "or" and "1" are words too, and nobody has them
        ("wordpress AND NOT newsletter", set()),
        ("word* NEAR(a b)", set()),
        ("-newsletter", {"giulia-neri", "luca-gallo"}),  # a dash is not "without"
        ("'; DROP TABLE profiles; --", set()),
        ("\\ ^ : {} []", set()),
        ("a" * 500, set()),
        ("newsletter " * 30, {"giulia-neri", "luca-gallo"}),  # only the first words count
    ],
)
def test_hostile_queries_are_plain_text(people, query, expected):
    results = find(query)  # never raises: every word is plain text, and all must be found
    assert slugs(results) == expected
    assert results.total == len(expected)


@pytest.mark.parametrize("query", ['"wordpress', "wordpress 🚀", "(wordpress", "WORDPRESS!!!"])
def test_punctuation_and_emoji_around_a_word_are_ignored(people, query):
    assert slugs(find(query)) == {"giulia-neri"}


def test_only_emoji_or_stop_words_match_nobody(people):
    assert find("🚀🚀").total == 0
    assert find("di e il").total == 0
    assert find("   ").total == 4  # blank is no search at all


def test_words_and_stems():
    # "l" and "e" are stop words, as in PostgreSQL's italian configuration
    assert words_of("L'assistente, e-commerce & 🚀 WordPress!") == [
        "assistente",
        "commerce",
        "wordpress",
    ]
    assert search_text("Contabilità e fatture") == "contabil fattur"


def test_filters_each_and_together(people):
    assert slugs(find(specializations=("newsletter",))) == {"giulia-neri", "luca-gallo"}
    assert slugs(find(specializations=("newsletter", "wordpress"))) == {"giulia-neri"}
    assert slugs(find(roles=("social_media_manager",))) == {"marco-bianchi", "luca-gallo"}
    assert slugs(find(languages=("en",))) == {"giulia-neri", "luca-gallo"}
    assert slugs(find(languages=("de",))) == {"sara-russo"}
    assert slugs(find(region="Lombardia")) == {"giulia-neri", "sara-russo"}  # any case
    assert slugs(find(availability="available")) == {"giulia-neri", "sara-russo"}
    assert slugs(find("newsletter", specializations=("graphic_design",))) == {"luca-gallo"}
    assert slugs(find("social", region="lazio", availability="limited")) == {"marco-bianchi"}
    assert find("wordpress", region="Sicilia").total == 0


def test_counts_per_filter(people):
    counts = find().counts
    assert counts.specializations == {
        "wordpress": 1,
        "newsletter": 2,
        "social_media": 2,
        "bookkeeping": 1,
        "graphic_design": 1,
        "customer_care": 1,
        "online_courses": 1,
    }
    assert counts.roles == {
        "web_marketing_assistant": 1,
        "social_media_manager": 2,
        "administrative_assistant": 1,
        "executive_assistant": 1,
    }
    assert counts.languages == {"it": 4, "en": 2, "de": 1, "fr": 1}
    assert counts.availability == {"available": 2, "limited": 1, "unavailable": 1}
    assert counts.regions == [("Lombardia", 2), ("Lazio", 1), ("Sicilia", 1)]

    narrowed = find("newsletter", region="Lombardia").counts
    assert narrowed.specializations == {"wordpress": 1, "newsletter": 1, "online_courses": 1}
    # region picks one value: its counts are those without the region chosen
    assert narrowed.regions == [("Lombardia", 1), ("Sicilia", 1)]


def test_relevance_ranks_name_and_headline_matches(people, course):
    results = find("newsletter")
    assert results.sort == "relevance"
    assert [card.slug for card in results.cards][0] == "giulia-neri"  # in headline and services
    assert [card.slug for card in find("newsletter", sort="newest").cards] == [
        "luca-gallo",
        "giulia-neri",
    ]


def test_pages(course):
    for n in range(25):
        factories.make_graduate(course, f"Persona {n:02d}", headline="Assistente")
    first, second = find(page=1), find(page=2)
    assert (first.total, first.pages, len(first.cards), len(second.cards)) == (25, 2, 20, 5)
    assert not slugs(first) & slugs(second)
    assert find(page=99).page == 2 and find(page=-3).page == 1


def test_visibility_rules(people, course):
    now = utcnow()
    giulia, marco, sara, luca = (people[name] for name in ("giulia", "marco", "sara", "luca"))

    directory.set_published(marco.id, False)  # opted out: hidden at once
    revoked = certificates.certificate_for(sara.id, course.id)
    certificates.change_status(None, revoked.id, "revoke", "test", None)
    suspended = certificates.certificate_for(luca.id, course.id)
    certificates.change_status(None, suspended.id, "suspend", "test", None)
    assert slugs(find()) == {"giulia-neri"}
    assert directory.public_profile("sara-russo", now) is None

    certificates.change_status(None, suspended.id, "unsuspend", "test", None)
    assert slugs(find()) == {"giulia-neri", "luca-gallo"}

    expiring = certificates.certificate_for(giulia.id, course.id)
    expiring.expires_at = now + timedelta(days=1)
    db.session.commit()
    directory.refresh_certification(giulia.id)
    db.session.commit()
    assert "giulia-neri" in slugs(find(now=now))
    assert "giulia-neri" not in slugs(find(now=now + timedelta(days=2)))  # expired
    assert directory.public_profile("giulia-neri", now + timedelta(days=2)) is None

    luca.deleted_at = now  # a deleted account is never listed
    listing_changed([directory.profile_of(luca.id).id])
    db.session.commit()
    assert find(now=now).total == 1
    assert directory.public_profile("luca-gallo", now) is None


def test_not_certified_cannot_opt_in(ctx):
    user = factories.make_user(email="nuovo@example.org", name="Nuovo Iscritto")
    factories.make_profile(user, published=False)
    with pytest.raises(directory.ProfileRefused) as refused:
        directory.set_published(user.id, True)
    assert refused.value.reason == "not_certified"
    assert find().total == 0


def test_slug_is_unique(people):
    other = factories.make_user(email="altro@example.org", name="Giulia Neri")
    assert directory.suggested_slug("Giulia Neri") == "giulia-neri-2"
    with pytest.raises(directory.ProfileRefused):
        directory.save_profile(
            other.id, directory.ProfileData(display_name="Giulia Neri", slug="giulia-neri")
        )
    assert directory.profile_of(other.id) is None


def test_list_and_counts_follow_every_change_at_once(course):
    user = factories.make_graduate(course, "Anna Prima", specializations=("seo",))
    assert find().counts.specializations == {"seo": 1}
    directory.set_published(user.id, False)
    assert (find().total, find().counts.specializations) == (0, {})
    directory.set_published(user.id, True)
    data = directory.ProfileData(
        display_name="Anna Prima", slug="anna-prima", specializations=["crm"], region="Umbria"
    )
    directory.save_profile(user.id, data)
    results = find("anna", region="Umbria")
    assert (results.total, results.counts.specializations) == (1, {"crm": 1})


def test_a_profile_hidden_after_the_index_was_read_leaves_the_page(course):
    """Changes made around the services (none should be) still never show a hidden profile."""
    user = factories.make_graduate(course, "Bruno Dopo")
    assert find().total == 1
    user.deleted_at = utcnow()
    db.session.commit()
    assert find().cards == []


def test_words_in_name_or_headline_come_first(course):
    factories.make_graduate(course, "Carla Viola", headline="Esperta di newsletter")
    factories.make_graduate(course, "Dario Blu", headline="Social", bio="Scrivo newsletter.")
    results = find("newsletter")
    assert [card.slug for card in results.cards] == ["carla-viola", "dario-blu"]
    assert [card.slug for card in find("newsletter", sort="newest").cards][0] == "dario-blu"
