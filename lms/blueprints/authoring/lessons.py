"""The lesson editor: text with a live preview, video, files, preview flag, drip and drafts."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.blueprints.authoring import forms
from lms.blueprints.authoring.messages import content_refused
from lms.blueprints.learn.routes import LESSON_POLICY
from lms.blueprints.studio.access import studio_blueprint
from lms.extensions import client_ip, talisman
from lms.services import learning, lesson_authoring, video
from lms.services.markdown import render_preview
from lms.services.versions import EditConflict

bp = studio_blueprint("lessons", __name__)


def _lesson_or_404(lesson_id: int):
    lesson = lesson_authoring.find_lesson(lesson_id)
    if lesson is None:
        abort(404)
    return lesson


def _editor(form, lesson=None, module=None, conflict=None, status=200, attachment_form=None):
    module = module or lesson.module
    return render_template(
        "authoring/lesson_form.html",
        form=form,
        lesson=lesson,
        module=module,
        course=module.course,
        conflict=conflict,
        attachments=learning.attachments_of(lesson.id) if lesson else [],
        attachment_form=attachment_form or forms.AttachmentForm(formdata=None),
        button_form=forms.EmptyForm(),
    ), status


@bp.route("/modules/<id:module_id>/lessons/new", methods=["GET", "POST"])
def new_lesson(module_id: int):
    module = lesson_authoring.find_module(module_id)
    if module is None:
        abort(404)
    form = forms.LessonForm(data={"is_draft": True})
    if form.validate_on_submit():
        try:
            lesson = lesson_authoring.add_lesson(
                current_user, module.id, form.values(), client_ip()
            )
        except lesson_authoring.ContentRefused as refused:
            form.slug.errors.append(content_refused(refused.reason))
        else:
            flash(_("Lesson saved."), "success")
            return redirect(url_for("lessons.edit_lesson", lesson_id=lesson.id))
    return _editor(form, module=module)


@bp.route("/lessons/<id:lesson_id>", methods=["GET", "POST"])
def edit_lesson(lesson_id: int):
    lesson = _lesson_or_404(lesson_id)
    form = forms.LessonForm(obj=lesson)
    if request.method == "GET":
        form.version.data = lesson.version
    conflict = None
    if form.validate_on_submit():
        try:
            lesson_authoring.update_lesson(
                current_user, lesson.id, form.opened_version(), form.values(), client_ip()
            )
        except EditConflict:
            lesson = _lesson_or_404(lesson_id)
            conflict = form.conflict_with(lesson, "lessons")
        except lesson_authoring.ContentRefused as refused:
            form.slug.errors.append(content_refused(refused.reason))
        else:
            flash(_("Lesson saved."), "success")
            return redirect(url_for("lessons.edit_lesson", lesson_id=lesson.id))
    return _editor(form, lesson, conflict=conflict, status=409 if conflict else 200)


@bp.post("/lessons/<id:lesson_id>/delete")
def delete_lesson(lesson_id: int):
    lesson = _lesson_or_404(lesson_id)
    slug = lesson.course.slug
    if forms.EmptyForm().validate_on_submit():
        try:
            lesson_authoring.delete_lesson(current_user, lesson.id, client_ip())
        except lesson_authoring.ContentRefused as refused:
            flash(content_refused(refused.reason), "error")
            return redirect(url_for("lessons.edit_lesson", lesson_id=lesson_id))
        flash(_("Lesson deleted."), "success")
    return redirect(url_for("authoring.content", slug=slug))


@bp.get("/lessons/<id:lesson_id>/preview")
@talisman(content_security_policy=LESSON_POLICY)
def preview_lesson(lesson_id: int):
    """The lesson as students will read it, drafts included."""
    lesson = _lesson_or_404(lesson_id)
    return render_template(
        "authoring/lesson_preview.html",
        lesson=lesson,
        course=lesson.course,
        video_url=video.embed_url(lesson.video_url),
        attachments=learning.attachments_of(lesson.id),
    )


@bp.post("/markdown-preview")
def markdown_preview():
    """The editor's live preview: the same sanitizing renderer the lesson page uses."""
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    return str(render_preview(request.form.get("text", "")[:200_000]))


@bp.post("/lessons/<id:lesson_id>/attachments")
def add_attachment(lesson_id: int):
    lesson = _lesson_or_404(lesson_id)
    form = forms.AttachmentForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            lesson_authoring.add_attachment(
                current_user, lesson.id, upload.filename or "", upload.stream, client_ip()
            )
        except lesson_authoring.ContentRefused as refused:
            form.file.errors.append(content_refused(refused.reason))
        else:
            flash(_("File attached."), "success")
            return redirect(url_for("lessons.edit_lesson", lesson_id=lesson.id, _anchor="files"))
    editor = forms.LessonForm(obj=lesson)
    editor.version.data = lesson.version
    return _editor(editor, lesson, status=400, attachment_form=form)


@bp.post("/attachments/<id:attachment_id>/delete")
def delete_attachment(attachment_id: int):
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    if lesson_authoring.find_attachment(attachment_id) is None:
        abort(404)
    lesson_id = lesson_authoring.delete_attachment(current_user, attachment_id, client_ip())
    flash(_("File removed."), "success")
    return redirect(url_for("lessons.edit_lesson", lesson_id=lesson_id, _anchor="files"))
