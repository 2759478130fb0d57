"""The community's foundations: who gets in, starting threads, replies, mentions, held posts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import (
    EnrollmentStatus,
    Notification,
    NotificationKind,
    Post,
    PostState,
    Role,
    Thread,
    utcnow,
)
from lms.services import community_access, community_posts
from lms.services.community_moderation import PostingSuspended
from tests import factories


@pytest.fixture
def course(ctx):
    return factories.make_course(slug="assistente-virtuale")


def test_only_active_enrollments_and_staff_enter(course):
    outsider = factories.make_user()
    refunded = factories.make_user()
    factories.make_enrollment(refunded, course, status=EnrollmentStatus.REFUNDED.value)
    other_course = factories.make_course(slug="altro-corso")
    elsewhere = factories.make_user()
    factories.make_enrollment(elsewhere, other_course)
    staff = factories.make_user(role=Role.INSTRUCTOR.value)

    for user in (outsider, refunded, elsewhere):
        with pytest.raises(community_access.NotAMember):
            community_access.enter(user, course)
    assert community_access.enter(staff, course).is_staff


def test_handles_are_unique_per_course(course):
    first = factories.make_member(factories.make_user(name="Anna Verdi"), course)
    second = factories.make_member(factories.make_user(name="Anna Verdi"), course)
    assert first.handle == "anna-verdi"
    assert second.handle == "anna-verdi-2"
    again = community_access.enter(db.session.get(factories.User, first.user_id), course)
    assert again.member_id == first.member_id


def test_reply_notifies_the_asker_and_mentions_notify_once(course):
    asker = factories.make_member(factories.make_user(name="Anna Verdi"), course)
    helper = factories.make_member(factories.make_user(name="Bruno Neri"), course)
    third = factories.make_member(factories.make_user(name="Carla Bianchi"), course)
    thread = factories.make_thread(asker, course, body="Chi mi aiuta? @bruno-neri")
    community_posts.reply(helper, thread, "Ecco, e chiedo anche a @carla-bianchi e @Carla-Bianchi")
    community_posts.reply(
        helper, thread, "`@anna-verdi` nel codice non conta", submission_id="x" * 43
    )
    community_posts.reply(
        helper, thread, "`@anna-verdi` nel codice non conta", submission_id="x" * 43
    )

    kinds = sorted((n.user_id, n.kind) for n in db.session.scalars(select(Notification)))
    assert kinds == sorted(
        [
            (helper.user_id, NotificationKind.MENTION.value),
            (third.user_id, NotificationKind.MENTION.value),
            (asker.user_id, NotificationKind.REPLY.value),
            (asker.user_id, NotificationKind.REPLY.value),
        ]
    )
    db.session.refresh(thread)
    assert thread.post_count == 3  # the opening post and two replies; the resent one is not new


def test_first_posts_are_held_when_the_course_asks(course):
    course.community_review_first_posts = 1
    db.session.commit()
    newcomer = factories.make_member(factories.make_user(), course)
    thread = factories.make_thread(newcomer, course)
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    assert opening.state == PostState.HELD.value
    assert not db.session.get(Thread, thread.id).listed


def test_suspended_members_cannot_post(course):
    member = factories.make_member(
        factories.make_user(), course, posting_suspended_until=utcnow() + timedelta(days=1)
    )
    with pytest.raises(PostingSuspended):
        factories.make_thread(member, course)


def test_the_community_door(app):
    from tests.conftest import login

    with app.app_context():
        course = factories.make_course(slug="assistente-virtuale")
        viewer = factories.make_member(factories.make_user(email="membro@example.org"), course)
        thread_id = factories.make_thread(viewer, course, title="Prima discussione").id
        opening = db.session.scalar(select(Post.id).where(Post.thread_id == thread_id))
        refunded = factories.make_user(email="rimborsato@example.org")
        factories.make_enrollment(refunded, course, status=EnrollmentStatus.REFUNDED.value)
    thread_url = f"/community/assistente-virtuale/t/{thread_id}"

    client = app.test_client()
    assert client.get(thread_url).status_code == 302  # to the login page
    login(client, "rimborsato@example.org")
    assert client.get(thread_url).status_code == 403
    client = app.test_client()
    login(client, "membro@example.org")
    assert "Prima discussione" in client.get(thread_url).get_data(as_text=True)
    assert client.get(f"/community/nessun-corso/t/{thread_id}").status_code == 404
    response = client.get(f"/community/assistente-virtuale/p/{opening}")
    assert response.headers["Location"].endswith(f"/t/{thread_id}?page=1#post-{opening}")
