"""Directory pages: editing a profile (photo included), opting in and out, the public listing and
profile, messages from clients with their limits, and what search engines see."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pytest
from PIL import Image
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import ContactMessage, Course, OutboxEmail, Profile
from lms.services import accounts, certificates, directory
from tests import factories
from tests.conftest import login


def png(width=300, height=300, fmt="PNG") -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(data, fmt)
    data.seek(0)
    return data


PROFILE_FORM = {
    "display_name": "Anna Verdi",
    "slug": "anna-verdi",
    "headline": "Newsletter e WordPress",
    "bio": "Lavoro con **WordPress** da anni. <script>alert(1)</script>",
    "city": "Torino",
    "region": "Piemonte",
    "country": "IT",
    "languages": ["it", "en"],
    "roles": ["web_marketing_assistant"],
    "specializations": ["wordpress", "newsletter"],
    "services": "Newsletter mensile\nSito WordPress",
    "hourly_rate": "25",
    "website": "https://annaverdi.example.org",
    "linkedin": "https://www.linkedin.com/in/annaverdi",
    "availability": "available",
    "mentoring": "y",
}


# Fixtures leave no application context open: a request would share it (and its `g`, where
# the logged-in user is kept) with the test.


@pytest.fixture
def course(app) -> int:
    with app.app_context():
        return factories.make_course(slug="va", title="Assistente Virtuale").id


def graduate_of(app, course_id: int, name: str, **profile) -> Graduate:
    with app.app_context():
        user = factories.make_graduate(db.session.get(Course, course_id), name, **profile)
        return Graduate(user.id, user.email)


@dataclass(frozen=True)
class Graduate:
    id: int
    email: str


@pytest.fixture
def certified(app, course, student) -> Graduate:
    with app.app_context():
        user = accounts.find_user_by_email("studente@example.org")
        factories.make_certificate(user, db.session.get(Course, course))
        return Graduate(user.id, user.email)


@pytest.fixture
def graduate(app, course) -> Graduate:
    return graduate_of(
        app, course, "Giulia Neri", headline="Siti WordPress", specializations=("wordpress",)
    )


def test_profile_pages_need_login(client):
    for path in ("/account/profile", "/account/messages"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_new_profile_starts_from_the_account(logged_in):
    page = logged_in.get("/account/profile").get_data(as_text=True)
    assert 'value="Anna Verdi"' in page and 'value="anna-verdi"' in page
    assert "Nothing of this page is public" in page or "Niente di questa pagina" in page


def test_invalid_profile_keeps_what_was_typed(logged_in):
    data = dict(PROFILE_FORM, slug="Anna Verdi!", website="annaverdi", linkedin="https://x.com/a")
    response = logged_in.post("/account/profile", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="Newsletter e WordPress"' in page and "Torino" in page
    assert 'value="wordpress" checked' in page or 'checked id="specializations-0"' in page
    assert len(re.findall(r'class="error" id="(slug|website|linkedin)-error"', page)) == 3
    with logged_in.application.app_context():
        assert db.session.scalar(select(func.count()).select_from(Profile)) == 0


def test_save_publish_and_hide(logged_in, certified):
    response = logged_in.post("/account/profile", data=PROFILE_FORM)
    assert response.status_code == 302
    app = logged_in.application
    with app.app_context():
        profile = directory.profile_of(certified.id)
        assert (profile.slug, profile.hourly_rate_cents, profile.mentoring) == (
            "anna-verdi",
            2500,
            True,
        )
    assert logged_in.get("/directory/anna-verdi").status_code == 200  # the owner previews it
    anonymous = app.test_client()
    assert anonymous.get("/directory/anna-verdi").status_code == 404  # not opted in yet
    assert "anna-verdi" not in anonymous.get("/directory/").get_data(as_text=True)

    logged_in.post("/account/profile/visibility", data={"publish": "1"})
    page = anonymous.get("/directory/anna-verdi").get_data(as_text=True)
    assert "Anna Verdi" in page and "<strong>WordPress</strong>" in page
    assert "<script>alert" not in page  # the bio's Markdown is sanitized
    assert "studente@example.org" not in page  # the email is never shown
    assert "anna-verdi" in anonymous.get("/directory/?q=wordpress").get_data(as_text=True)

    logged_in.post("/account/profile/visibility", data={"publish": "0"})
    assert anonymous.get("/directory/anna-verdi").status_code == 404  # hidden at once
    assert "anna-verdi" not in anonymous.get("/directory/?q=wordpress").get_data(as_text=True)


def test_opting_in_needs_a_valid_certificate(logged_in):
    logged_in.post("/account/profile", data=PROFILE_FORM)
    response = logged_in.post(
        "/account/profile/visibility", data={"publish": "1"}, follow_redirects=True
    )
    assert "valid certificate" in response.get_data(as_text=True) or "certificato valido" in (
        response.get_data(as_text=True)
    )
    with logged_in.application.app_context():
        assert db.session.scalar(select(Profile.published)) is False


def test_photo_is_checked_by_content_resized_and_renamed(logged_in, certified):
    app = logged_in.application
    data = dict(PROFILE_FORM, photo=(png(900, 600), "me.png"))
    assert logged_in.post("/account/profile", data=data).status_code == 302
    with app.app_context():
        name = directory.profile_of(certified.id).photo
    assert re.fullmatch(r"[0-9a-f]{32}\.webp", name)
    with logged_in.get(f"/directory/photos/{name}") as response:
        picture = Image.open(io.BytesIO(response.data))
        assert (picture.format, picture.size) == ("WEBP", (480, 480))
        assert response.headers["X-Content-Type-Options"] == "nosniff"

    refused = {
        "not a picture": (io.BytesIO(b"<?php system($_GET['c']); ?>"), "me.jpg"),
        "GIF": (png(fmt="GIF"), "me.gif"),
        "too small": (png(60, 60), "tiny.png"),
    }
    for case, upload in refused.items():
        response = logged_in.post("/account/profile", data=dict(PROFILE_FORM, photo=upload))
        assert response.status_code == 400, case
        assert 'id="photo-error"' in response.get_data(as_text=True), case
    with app.app_context():
        assert directory.profile_of(certified.id).photo == name  # nothing lost

    anonymous = app.test_client()
    assert anonymous.get(f"/directory/photos/{name}").status_code == 404  # not opted in
    logged_in.post("/account/profile/visibility", data={"publish": "1"})
    with anonymous.get(f"/directory/photos/{name}") as response:
        assert response.status_code == 200
    logged_in.post("/account/profile/visibility", data={"publish": "0"})
    assert anonymous.get(f"/directory/photos/{name}").status_code == 404  # hidden with the page

    logged_in.post("/account/profile", data=dict(PROFILE_FORM, remove_photo="y"))
    assert logged_in.get(f"/directory/photos/{name}").status_code == 404  # file deleted
    assert logged_in.get("/directory/photos/..%2Fsecret_key").status_code == 404


def test_a_multi_picture_jpeg_from_a_phone_is_taken(logged_in, certified):
    data = io.BytesIO()
    first, second = Image.new("RGB", (400, 300), (10, 20, 30)), Image.new("RGB", (400, 300))
    first.save(data, "MPO", save_all=True, append_images=[second])
    data.seek(0)
    assert Image.open(data).format == "MPO"
    data.seek(0)
    response = logged_in.post("/account/profile", data=dict(PROFILE_FORM, photo=(data, "p.jpg")))
    assert response.status_code == 302


def test_reserved_address_is_refused(logged_in, certified):
    response = logged_in.post("/account/profile", data=dict(PROFILE_FORM, slug="photos"))
    assert response.status_code == 400 and 'id="slug-error"' in response.get_data(as_text=True)
    assert (
        directory.slugify("Al") == "profilo-al" and directory.slugify("Photos") == "profilo-photos"
    )


def test_decompression_bomb_is_refused(logged_in, certified):
    bomb = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(bomb, "PNG")  # tiny file, 144 million pixels
    bomb.seek(0)
    response = logged_in.post("/account/profile", data=dict(PROFILE_FORM, photo=(bomb, "b.png")))
    assert response.status_code == 400
    assert 'id="photo-error"' in response.get_data(as_text=True)


def test_listing_page(app, client, graduate, course):
    graduate_of(app, course, "Marco Bianchi", headline="Social", region="Lazio")
    page = client.get("/directory/").get_data(as_text=True)
    assert page.count('class="card profile-card"') == 2
    assert "2 assistenti certificati" in page
    assert "/directory/?specialization=wordpress" in page  # a filter link with its count
    page = client.get("/directory/?specialization=wordpress&specialization=bogus").get_data(
        as_text=True
    )
    assert page.count('class="card profile-card"') == 1
    for query in ('"', "wordpress OR", "🚀", "a" * 1000, "%00", "<script>"):
        response = client.get("/directory/", query_string={"q": query, "page": "x"})
        assert response.status_code == 200
        assert "<script>" not in response.get_data(as_text=True).split("<main", 1)[1]


def test_listing_pages_are_kept_until_the_listing_changes(app, client, graduate, course):
    """A results region is rendered once per state of the listing, language and query."""
    assert "Giulia Neri" in client.get("/directory/?q=wordpress").get_data(as_text=True)
    kept = app.extensions["directory_pages"]
    assert len(kept) == 1
    client.get("/directory/?q=wordpress")
    assert len(kept) == 1  # the same page again: reused
    client.post("/language", data={"lang": "en", "next": "/directory/"})
    english = client.get("/directory/?q=wordpress").get_data(as_text=True)
    assert "1 assistant found for “wordpress”" in english
    assert len(kept) == 2  # each language its own
    with app.app_context():
        directory.set_published(graduate.id, False)
    hidden = client.get("/directory/?q=wordpress").get_data(as_text=True)
    assert "Giulia Neri" not in hidden  # opting out shows at once, kept pages or not


def test_profile_badge_links_to_the_live_certificate(app, client, graduate, course):
    with app.app_context():
        found = certificates.certificate_for(graduate.id, course)
        code = found.display_code
    page = client.get("/directory/giulia-neri").get_data(as_text=True)
    assert f'href="/verify/{code}"' in page
    assert graduate.email not in page
    with app.app_context():
        certificates.change_status(None, found.id, "revoke", "test", None)
    assert client.get("/directory/giulia-neri").status_code == 404


def contact_token(client, slug="giulia-neri") -> str:
    page = client.get(f"/directory/{slug}").get_data(as_text=True)
    return re.search(r'id="token" name="token" type="hidden" value="([^"]+)"', page).group(1)


def message(client, token, **overrides):
    data = {
        "sender_name": "Cliente Rossi",
        "sender_email": "cliente@example.com",
        "subject": "Newsletter mensile",
        "body": "Buongiorno, cerco aiuto per la newsletter del mio studio.",
        "website": "",
        "token": token,
    }
    data.update(overrides)
    return client.post("/directory/giulia-neri", data=data)


def stored_messages(app) -> list[ContactMessage]:
    with app.app_context():
        return list(db.session.scalars(select(ContactMessage)))


def test_contact_reaches_the_graduate_by_email_and_in_the_app(client, graduate, app):
    token = contact_token(client)
    response = message(client, token)
    assert response.status_code == 302 and response.headers["Location"].endswith("/sent")
    assert message(client, token).status_code == 302  # a second click stores nothing more
    assert len(stored_messages(app)) == 1
    with app.app_context():
        mails = list(
            db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "directory_message"))
        )
    assert [mail.to_email for mail in mails] == [graduate.email]
    assert "cerco aiuto per la newsletter" in mails[0].body_text
    assert "cliente@example.com" in mails[0].body_text

    login(client, graduate.email)
    assert ">1</span>" in client.get("/account").get_data(as_text=True)
    inbox = client.get("/account/messages").get_data(as_text=True)
    assert "Newsletter mensile" in inbox and "cliente@example.com" in inbox
    assert ">1</span>" not in client.get("/account").get_data(as_text=True)  # now read


def test_contact_errors_keep_the_message(client, graduate, app):
    token = contact_token(client)
    response = message(client, token, sender_email="not-an-email", body="Troppo corto")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="Cliente Rossi"' in page and "Troppo corto" in page
    assert 'id="sender_email-error"' in page and 'id="body-error"' in page
    assert stored_messages(app) == []


def test_bots_are_turned_away(make_app, course):
    app = make_app(DIRECTORY_CONTACT_MIN_SECONDS=30)
    graduate_of(app, course, "Giulia Neri")
    client = app.test_client()
    token = contact_token(client)
    trapped = message(client, token, website="http://spam.example")
    assert trapped.status_code == 302  # told what a person would be told
    too_fast = message(client, token)
    assert too_fast.status_code == 400
    assert "buongiorno, cerco aiuto" in too_fast.get_data(as_text=True).lower()
    forged = message(client, "forged-token")
    assert forged.status_code == 400
    assert stored_messages(app) == []


def test_contact_is_rate_limited_per_ip_and_per_profile(make_app, course):
    app = make_app(
        DIRECTORY_CONTACT_LIMIT_PER_IP="2 per hour",
        DIRECTORY_CONTACT_LIMIT_PER_PROFILE="3 per day",
        DIRECTORY_CONTACT_ATTEMPTS_PER_IP="6 per hour",
    )
    graduate_of(app, course, "Giulia Neri")
    client = app.test_client()
    noisy = {"REMOTE_ADDR": "192.0.2.7"}
    for n in range(6):  # any attempt counts against the looser limit per IP
        assert (
            client.post("/directory/giulia-neri", data={}, environ_base=noisy).status_code == 400
        ), n
    assert client.post("/directory/giulia-neri", data={}, environ_base=noisy).status_code == 429

    assert message(client, contact_token(client), body="corto").status_code == 400  # a typo
    for n in range(2):
        assert message(client, contact_token(client)).status_code == 302, n
    assert message(client, contact_token(client)).status_code == 429  # 2 stored from this IP

    def from_ip(address: str, **overrides):
        other = app.test_client()
        return other.post(
            "/directory/giulia-neri",
            data={"sender_name": "B", "sender_email": "b@example.com", "subject": "Ciao",
                  "body": "Un messaggio abbastanza lungo.", "token": contact_token(other),
                  **overrides},
            environ_base={"REMOTE_ADDR": address},
        )  # fmt: skip

    for n in range(3):  # junk from many places does not block the graduate's form
        assert from_ip(f"198.51.100.{n}", body="x").status_code == 400
    assert from_ip("203.0.113.9").status_code == 302
    assert from_ip("203.0.113.10").status_code == 429  # the profile's own limit: 3 stored a day
    assert len(stored_messages(app)) == 3


def test_a_form_used_for_another_message_keeps_the_new_one(client, graduate, app):
    token = contact_token(client)
    assert message(client, token).status_code == 302
    response = message(client, token, body="Un secondo messaggio, diverso dal primo.")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Un secondo messaggio" in page
    new_token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
    assert new_token != token
    assert (
        message(client, new_token, body="Un secondo messaggio, diverso dal primo.").status_code
        == 302
    )
    assert len(stored_messages(app)) == 2


def test_a_token_of_another_profile_is_refused(app, client, graduate, course):
    graduate_of(app, course, "Marco Bianchi")
    token = contact_token(client, "marco-bianchi")
    response = message(client, token)  # posted to giulia-neri
    assert response.status_code == 400 and stored_messages(app) == []


def test_line_breaks_in_subject_or_name_are_refused(client, graduate, app):
    token = contact_token(client)
    response = message(client, token, subject="Ciao\r\nBcc: spam@example.com", sender_name="A\nB")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="subject-error"' in page and 'id="sender_name-error"' in page
    assert stored_messages(app) == []


def test_directory_forms_reject_a_post_without_csrf_token(make_app, course):
    app = make_app(WTF_CSRF_ENABLED=True)
    graduate_of(app, course, "Giulia Neri")
    client = app.test_client()
    assert message(client, contact_token(client)).status_code == 400
    login_page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post(
        "/login",
        data={
            "email": "giulia-neri@example.org",
            "password": factories.PASSWORD,
            "csrf_token": csrf,
        },
    )
    assert client.post("/account/profile", data=PROFILE_FORM).status_code == 400
    assert client.post("/account/profile/visibility", data={"publish": "0"}).status_code == 400
    assert stored_messages(app) == []


def test_search_engines_see_titles_canonical_urls_and_a_sitemap(app, client, graduate, course):
    hidden = graduate_of(app, course, "Marco Nascosto")
    with app.app_context():
        directory.set_published(hidden.id, False)
    page = client.get("/directory/giulia-neri").get_data(as_text=True)
    assert "<title>Giulia Neri – Siti WordPress · " in page
    assert '<link rel="canonical" href="http://lms.test/directory/giulia-neri">' in page
    assert '<meta property="og:title" content="Giulia Neri">' in page
    assert '<meta name="description" content="Siti WordPress.' in page
    listing = client.get("/directory/?q=wordpress").get_data(as_text=True)
    assert 'content="noindex, follow"' in listing

    index = client.get("/sitemap.xml")
    assert index.mimetype == "application/xml"
    assert "http://lms.test/sitemaps/profiles-0.xml" in index.get_data(as_text=True)
    profiles = client.get("/sitemaps/profiles-0.xml").get_data(as_text=True)
    assert "http://lms.test/directory/giulia-neri" in profiles
    assert "marco-nascosto" not in profiles
    assert "http://lms.test/directory/" in client.get("/sitemaps/pages.xml").get_data(as_text=True)
    assert client.get("/sitemaps/profiles-7.xml").status_code == 404
    robots = client.get("/robots.txt").get_data(as_text=True)
    assert "Sitemap: http://lms.test/sitemap.xml" in robots


def test_page_links_carry_only_the_listing_keys(app, client, course):
    for n in range(21):
        graduate_of(app, course, f"Persona {n:02d}", headline="Assistente")
    response = client.get("/directory/?_anchor=x&_external=1&_method=POST&specialization=x&page=1")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'rel="next" href="/directory/?specialization=x&amp;page=2"' in page
    assert "http://lms.test/directory/?" not in page  # links stay relative
