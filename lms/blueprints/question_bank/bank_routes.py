"""The exam in the studio: creating it, its texts, its topics, and the questions of its bank."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from lms.blueprints.question_bank import forms
from lms.blueprints.question_bank.blueprint import bp, conflict_with, get_data
from lms.extensions import client_ip
from lms.services import bank_authoring, catalog, exams
from lms.services.question_edits import EditRefused
from lms.services.versions import EditConflict


def _course(slug: str):
    course = catalog.find_course(slug, include_drafts=True)
    if course is None:
        abort(404)
    return course


def _exam(slug: str):
    course = _course(slug)
    return course, bank_authoring.exam_of_course(course.id)


@bp.route("/courses/<slug>/exam/new", methods=["GET", "POST"])
def exam_create(slug: str):
    course = _course(slug)
    if exams.exam_for(course.id) is not None:
        return redirect(url_for("studio.exam_settings", slug=slug))
    form = forms.ExamCreateForm()
    if form.validate_on_submit():
        try:
            bank_authoring.create_exam(
                current_user.id,
                course.id,
                form.title.data,
                form.key.data,
                form.topic.data,
                client_ip(),
            )
        except EditRefused as refused:
            form.show(refused)
        else:
            flash(
                _("Exam created: write its code of ethics and pledge, then its questions."),
                "success",
            )
            return redirect(url_for(".exam_texts", slug=slug))
    return render_template("studio/exam_new.html", course=course, form=form)


@bp.route("/courses/<slug>/exam/texts", methods=["GET", "POST"])
def exam_texts(slug: str):
    course, exam = _exam(slug)
    form = forms.ExamTextsForm(obj=exam, data=get_data({"version": str(exam.version)}))
    conflict = None
    if form.validate_on_submit():
        try:
            bank_authoring.update_texts(
                current_user.id, course.id, form.opened_version, form.texts(), client_ip()
            )
        except EditConflict:
            conflict = conflict_with(form, bank_authoring.exam_of_course(course.id))
        else:
            flash(_("Texts of the exam saved."), "success")
            return redirect(url_for(".exam_texts", slug=slug))
    return render_template(
        "studio/exam_texts.html", course=course, exam=exam, form=form, conflict=conflict
    )


@bp.route("/courses/<slug>/exam/topics", methods=["GET", "POST"])
def categories(slug: str):
    course, exam = _exam(slug)
    form = forms.CategoryForm()
    if form.validate_on_submit():
        try:
            bank_authoring.add_category(
                current_user.id, course.id, form.key.data, form.title.data, client_ip()
            )
        except EditRefused as refused:
            form.show(refused)
        else:
            flash(_("Topic added."), "success")
            return redirect(url_for(".categories", slug=slug))
    return render_template(
        "studio/exam_topics.html",
        course=course,
        exam=exam,
        form=form,
        move_form=forms.MoveForm(formdata=None),
        delete_form=forms.EmptyForm(formdata=None),
    )


@bp.route("/courses/<slug>/exam/topics/<id:category_id>", methods=["GET", "POST"])
def category_edit(slug: str, category_id: int):
    course, exam = _exam(slug)
    category = bank_authoring.category_of_exam(exam, category_id)
    form = forms.RenameCategoryForm(obj=category)
    if form.validate_on_submit():
        bank_authoring.rename_category(
            current_user.id, course.id, category.id, form.title.data, client_ip()
        )
        flash(_("Topic renamed."), "success")
        return redirect(url_for(".categories", slug=slug))
    return render_template(
        "studio/exam_topic.html", course=course, exam=exam, category=category, form=form
    )


@bp.post("/courses/<slug>/exam/topics/<id:category_id>/move")
def category_move(slug: str, category_id: int):
    course = _course(slug)
    form = forms.MoveForm()
    if not form.validate_on_submit():
        abort(400)
    if bank_authoring.move_category(
        current_user.id, course.id, category_id, form.step, client_ip()
    ):
        flash(_("Order saved."), "success")
    return redirect(url_for(".categories", slug=slug, _anchor=f"topic-{category_id}"))


@bp.post("/courses/<slug>/exam/topics/<id:category_id>/delete")
def category_delete(slug: str, category_id: int):
    course = _course(slug)
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    try:
        bank_authoring.delete_category(current_user.id, course.id, category_id, client_ip())
    except EditRefused as refused:
        flash(forms.refusal(refused), "error")
    else:
        flash(_("Topic deleted."), "success")
    return redirect(url_for(".categories", slug=slug))


def _bank_form(exam, **kwargs) -> forms.ExamQuestionForm:
    form = forms.ExamQuestionForm(**kwargs)
    form.category.choices = [
        SelectChoice(category.id, category.title) for category in exam.categories
    ]
    return form


def _bank_page(course, exam, form, question=None, **extra) -> dict:
    return {
        "course": course,
        "form": form,
        "question": question,
        "parent_title": exam.title,
        "back": url_for("studio.exam_bank", slug=course.slug),
        **extra,
    }


@bp.route("/courses/<slug>/exam/bank/new", methods=["GET", "POST"])
def bank_question_new(slug: str):
    """A new question; `?topic=` chooses its topic, `?copy=` starts from another question, which
    the new one can replace in the draws (the way to change a drawn question's answers)."""
    course, exam = _exam(slug)
    copy_of = request.args.get("copy", type=int)
    original = bank_authoring.question_of_exam(exam, copy_of) if copy_of else None
    data = {"category": request.args.get("topic", type=int)}
    if original is not None:
        data = forms.question_data(original, copy=True, category=original.category_id)
    form = _bank_form(exam, data=get_data(data))
    if form.validate_on_submit():
        replaces = original.id if original is not None and form.replace_original.data else None
        try:
            bank_authoring.add_question(
                current_user.id, course.id, form.category.data, form.draft(), client_ip(), replaces
            )
        except EditRefused as refused:
            form.show(refused)
        else:
            flash(_("Question added to the bank: it is drawn from the next attempt on."), "success")
            return redirect(url_for("studio.exam_bank", slug=slug))
    page = _bank_page(course, exam, form, original=original)
    return render_template("studio/question_form.html", **page)


@bp.route("/courses/<slug>/exam/bank/<id:question_id>/edit", methods=["GET", "POST"])
def bank_question_edit(slug: str, question_id: int):
    course, exam = _exam(slug)
    question = bank_authoring.question_of_exam(exam, question_id)
    data = forms.question_data(question, category=question.category_id)
    form = _bank_form(exam, data=get_data(data))
    conflict = None
    if form.validate_on_submit():
        try:
            bank_authoring.update_question(
                current_user.id,
                course.id,
                question.id,
                form.opened_version,
                form.category.data,
                form.draft(),
                client_ip(),
            )
        except EditConflict:
            fresh = bank_authoring.exam_of_course(course.id)
            conflict = conflict_with(form, bank_authoring.question_of_exam(fresh, question_id))
        except EditRefused as refused:
            form.show(refused)
        else:
            flash(_("Question saved."), "success")
            return redirect(url_for("studio.exam_bank", slug=slug, _anchor=f"q-{question.id}"))
    page = _bank_page(
        course,
        exam,
        form,
        question,
        conflict=conflict,
        drawn=bank_authoring.times_drawn(exam.id, question.id),
        copy=url_for(".bank_question_new", slug=slug, copy=question.id),
        delete=url_for(".bank_question_delete", slug=slug, question_id=question.id),
    )
    return render_template("studio/question_form.html", **page)


@bp.route("/courses/<slug>/exam/bank/<id:question_id>/delete", methods=["GET", "POST"])
def bank_question_delete(slug: str, question_id: int):
    course, exam = _exam(slug)
    question = bank_authoring.question_of_exam(exam, question_id)
    back = url_for("studio.exam_bank", slug=slug)
    if forms.EmptyForm().validate_on_submit():
        try:
            bank_authoring.delete_question(current_user.id, course.id, question.id, client_ip())
        except EditRefused as refused:
            flash(forms.refusal(refused), "error")
        else:
            flash(_("Question deleted."), "success")
        return redirect(back)
    refused = bank_authoring.question_deletion_refused(exam, question)
    return render_template(
        "studio/confirm_delete.html",
        course=course,
        heading=_("Delete this question of the exam bank?"),
        question=question,
        consequence=_("This cannot be undone."),
        refusal=forms.refusal(refused) if refused else None,
        back=back,
        form=forms.EmptyForm(),
    )
