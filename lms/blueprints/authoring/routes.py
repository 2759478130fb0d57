"""Authoring in the studio: courses, modules and lessons, their order, drafts and covers."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from lms.blueprints.authoring import forms
from lms.blueprints.authoring.messages import content_refused, course_refused, photo_refused
from lms.blueprints.learn.routes import VIEW_AS_STUDENT
from lms.blueprints.studio.access import studio_blueprint
from lms.extensions import client_ip
from lms.services import catalog, course_authoring, lesson_authoring, photos
from lms.services.versions import EditConflict

bp = studio_blueprint("authoring", __name__)


def _course_or_404(slug: str):
    course = catalog.find_course(slug, include_drafts=True)
    if course is None:
        abort(404)
    return course


def _course_form(course=None, **kwargs) -> forms.CourseForm:
    form = forms.CourseForm(obj=course, **kwargs)
    form.certificate_design.choices = [
        SelectChoice(d, d) for d in course_authoring.certificate_designs()
    ]
    if course is not None and request.method == "GET":
        form.price.data = Decimal(course.price_cents) / 100
        form.version.data = course.version
    return form


@bp.get("/courses")
def courses():
    return render_template("authoring/courses.html", courses=catalog.all_courses())


@bp.route("/courses/new", methods=["GET", "POST"])
def new_course():
    form = _course_form(data={"certificate_design": "classic", "language": "it"})
    if form.validate_on_submit():
        try:
            course = course_authoring.create_course(current_user, form.values(), client_ip())
        except course_authoring.CourseRefused as refused:
            form.slug.errors.append(course_refused(refused.reason))
        else:
            flash(_("Course created as a draft: add its modules and lessons."), "success")
            return redirect(url_for("authoring.content", slug=course.slug))
    return render_template("authoring/course_form.html", form=form, course=None)


@bp.route("/courses/<slug>/settings", methods=["GET", "POST"])
def edit_course(slug: str):
    course = _course_or_404(slug)
    form = _course_form(course)
    conflict = None
    if form.validate_on_submit():
        try:
            course = course_authoring.update_course(
                current_user, course.id, form.opened_version(), form.values(), client_ip()
            )
        except EditConflict:
            course = course_authoring.find_course(course.id)  # its slug may have changed too
            conflict = form.conflict_with(course, "courses")
        except course_authoring.CourseRefused as refused:
            target = form.slug if refused.reason == "slug_taken" else form.certificate_design
            target.errors.append(course_refused(refused.reason))
        else:
            flash(_("Course settings saved."), "success")
            return redirect(url_for("authoring.edit_course", slug=course.slug))
    return render_template(
        "authoring/course_form.html",
        form=form,
        course=course,
        conflict=conflict,
        cover_form=forms.CoverForm(formdata=None),
        button_form=forms.EmptyForm(),
    )


@bp.post("/courses/<slug>/cover")
def cover(slug: str):
    course = _course_or_404(slug)
    if request.form.get("remove") == "1":
        if forms.EmptyForm().validate_on_submit():
            course_authoring.set_cover(current_user, course.id, None, client_ip())
            flash(_("Cover removed."), "success")
        return redirect(url_for("authoring.edit_course", slug=slug))
    form = forms.CoverForm()
    if form.validate_on_submit():
        try:
            course_authoring.set_cover(current_user, course.id, form.cover.data.stream, client_ip())
        except photos.PhotoRefused as refused:
            form.cover.errors.append(photo_refused(refused.reason))
        else:
            flash(_("Cover saved."), "success")
            return redirect(url_for("authoring.edit_course", slug=slug))
    return render_template(
        "authoring/course_form.html",
        form=_course_form(course),
        course=course,
        conflict=None,
        cover_form=form,
        button_form=forms.EmptyForm(),
    ), 400


@bp.post("/courses/<slug>/publish")
def publish(slug: str):
    course = _course_or_404(slug)
    if forms.EmptyForm().validate_on_submit():
        published = request.form.get("published") == "1"
        try:
            course_authoring.set_published(current_user, course.id, published, client_ip())
        except course_authoring.CourseRefused as refused:
            flash(course_refused(refused.reason), "error")
        else:
            flash(
                _("The course is published.") if published else _("The course is a draft again."),
                "success",
            )
    return redirect(url_for("authoring.content", slug=slug))


@bp.post("/courses/<slug>/view-as-student")
def view_as_student(slug: str):
    """Open the player as a new student sees it (locks, drip, drafts hidden), or stop."""
    course = _course_or_404(slug)
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    if request.form.get("stop") == "1":
        session.pop(VIEW_AS_STUDENT, None)
        return redirect(url_for("authoring.content", slug=slug))
    session[VIEW_AS_STUDENT] = course.id
    return redirect(url_for("learn.course_home", slug=slug))


# Modules and lessons


@bp.get("/courses/<slug>/content")
def content(slug: str):
    course = _course_or_404(slug)
    return render_template(
        "authoring/content.html",
        course=course,
        modules=lesson_authoring.course_content(course.id),
        module_form=forms.ModuleForm(formdata=None),
        button_form=forms.EmptyForm(),
    )


@bp.post("/courses/<slug>/modules")
def add_module(slug: str):
    course = _course_or_404(slug)
    form = forms.ModuleForm()
    if form.validate_on_submit():
        lesson_authoring.add_module(current_user, course.id, form.data, client_ip())
        flash(_("Module added."), "success")
        return redirect(url_for("authoring.content", slug=slug))
    return render_template(
        "authoring/content.html",
        course=course,
        modules=lesson_authoring.course_content(course.id),
        module_form=form,
        button_form=forms.EmptyForm(),
    ), 400


def _module_or_404(module_id: int):
    module = lesson_authoring.find_module(module_id)
    if module is None:
        abort(404)
    return module


@bp.route("/modules/<id:module_id>", methods=["GET", "POST"])
def edit_module(module_id: int):
    module = _module_or_404(module_id)
    form = forms.ModuleForm(obj=module)
    conflict = None
    if form.validate_on_submit():
        try:
            lesson_authoring.update_module(
                current_user, module.id, form.opened_version(), form.data, client_ip()
            )
        except EditConflict:
            conflict = form.conflict_with(_module_or_404(module_id), "modules")
        else:
            flash(_("Module saved."), "success")
            return redirect(url_for("authoring.content", slug=module.course.slug))
    return render_template(
        "authoring/module_form.html", form=form, module=module, conflict=conflict
    )


@bp.post("/modules/<id:module_id>/delete")
def delete_module(module_id: int):
    module = _module_or_404(module_id)
    slug = module.course.slug
    if forms.EmptyForm().validate_on_submit():
        try:
            lesson_authoring.delete_module(current_user, module.id, client_ip())
        except lesson_authoring.ContentRefused as refused:
            flash(content_refused(refused.reason), "error")
        else:
            flash(_("Module deleted."), "success")
    return redirect(url_for("authoring.content", slug=slug))


@bp.post("/<any(module, lesson):kind>s/<id:item_id>/move")
def move(kind: str, item_id: int):
    """The keyboard's way to reorder: one step up or down per press of a button."""
    item = (lesson_authoring.find_module if kind == "module" else lesson_authoring.find_lesson)(
        item_id
    )
    if item is None:
        abort(404)
    course = item.course
    if forms.EmptyForm().validate_on_submit():
        step = -1 if request.form.get("direction") == "up" else 1
        order = lesson_authoring.current_order(course.id)
        new_order = lesson_authoring.moved(order, kind, item_id, step)
        if new_order != order:
            lesson_authoring.reorder(current_user, course.id, new_order, client_ip())
    return redirect(url_for("authoring.content", slug=course.slug, _anchor=f"{kind}-{item_id}"))


@bp.post("/courses/<slug>/order")
def reorder(slug: str):
    """The order after a drag and drop: 'module id:lesson id,lesson id;module id:...'."""
    course = _course_or_404(slug)
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    try:
        order = [
            (int(module), [int(i) for i in lessons.split(",") if i])
            for module, _colon, lessons in (
                part.partition(":") for part in request.form.get("order", "").split(";") if part
            )
        ]
        lesson_authoring.reorder(current_user, course.id, order, client_ip())
    except (ValueError, lesson_authoring.ContentRefused):
        return {"saved": False, "message": content_refused("bad_order")}, 409
    return {"saved": True, "message": _("New order saved.")}
