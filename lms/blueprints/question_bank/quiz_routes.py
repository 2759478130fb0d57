"""Quizzes in the studio: the course's list, each quiz's place and rules, its questions."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.blueprints.question_bank import forms
from lms.blueprints.question_bank.blueprint import bp, conflict_with, get_data
from lms.extensions import client_ip
from lms.services import catalog, quiz_authoring
from lms.services.question_edits import EditRefused
from lms.services.versions import EditConflict


def _course(slug: str):
    course = catalog.course_with_syllabus(slug, include_drafts=True)
    if course is None:
        abort(404)
    return course


@bp.get("/courses/<slug>/quizzes")
def quiz_list(slug: str):
    course = _course(slug)
    labels = forms.place_labels(course)
    summaries = [
        (summary, labels.get(quiz_authoring.place_of(summary.quiz), ""))
        for summary in quiz_authoring.course_quizzes(course.id)
    ]
    return render_template("studio/quizzes.html", course=course, summaries=summaries)


@bp.route("/courses/<slug>/quizzes/new", methods=["GET", "POST"])
def quiz_new(slug: str):
    course = _course(slug)
    form = forms.quiz_form(course, quiz_authoring.places_taken(course.id))
    if form.validate_on_submit():
        try:
            quiz = quiz_authoring.create_quiz(
                current_user.id, course.id, form.settings(), client_ip()
            )
        except EditRefused as refused:
            form.show(refused)
        else:
            flash(_("Quiz created: now add its questions."), "success")
            return redirect(url_for(".quiz_detail", slug=slug, quiz_id=quiz.id))
    return render_template("studio/quiz_form.html", course=course, form=form, quiz=None)


@bp.get("/courses/<slug>/quizzes/<id:quiz_id>")
def quiz_detail(slug: str, quiz_id: int):
    course = _course(slug)
    quiz = quiz_authoring.quiz_of_course(course.id, quiz_id)
    return render_template(
        "studio/quiz.html",
        course=course,
        quiz=quiz,
        place=forms.place_labels(course).get(quiz_authoring.place_of(quiz), ""),
        attempts=quiz_authoring.attempt_count(quiz.id),
        answered=set(quiz_authoring.answers_given(quiz.id)),
        move_form=forms.MoveForm(formdata=None),
    )


@bp.route("/courses/<slug>/quizzes/<id:quiz_id>/edit", methods=["GET", "POST"])
def quiz_edit(slug: str, quiz_id: int):
    course = _course(slug)
    quiz = quiz_authoring.quiz_of_course(course.id, quiz_id)
    taken = quiz_authoring.places_taken(course.id, quiz.id)
    data = {"place": quiz_authoring.place_of(quiz), "version": str(quiz.version)}
    form = forms.quiz_form(course, taken, obj=quiz, data=get_data(data))
    conflict = None
    if form.validate_on_submit():
        try:
            quiz_authoring.update_quiz(
                current_user.id,
                course.id,
                quiz.id,
                form.opened_version,
                form.settings(),
                client_ip(),
            )
        except EditConflict:
            conflict = conflict_with(form, quiz_authoring.quiz_of_course(course.id, quiz_id))
        except EditRefused as refused:
            form.show(refused)
        else:
            flash(_("Quiz saved."), "success")
            return redirect(url_for(".quiz_detail", slug=slug, quiz_id=quiz.id))
    return render_template(
        "studio/quiz_form.html",
        course=course,
        form=form,
        quiz=quiz,
        conflict=conflict,
        place=forms.place_labels(course).get(quiz_authoring.place_of(quiz), ""),
    )


@bp.route("/courses/<slug>/quizzes/<id:quiz_id>/delete", methods=["GET", "POST"])
def quiz_delete(slug: str, quiz_id: int):
    course = _course(slug)
    quiz = quiz_authoring.quiz_of_course(course.id, quiz_id)
    back, title = url_for(".quiz_detail", slug=slug, quiz_id=quiz.id), quiz.title
    if forms.EmptyForm().validate_on_submit():
        try:
            quiz_authoring.delete_quiz(current_user.id, course.id, quiz.id, client_ip())
        except EditRefused as refused:
            flash(forms.refusal(refused), "error")
            return redirect(back)
        flash(_("Quiz “%(title)s” deleted.", title=title), "success")
        return redirect(url_for(".quiz_list", slug=slug))
    refused = quiz_authoring.quiz_deletion_refused(quiz)
    return render_template(
        "studio/confirm_delete.html",
        course=course,
        heading=_("Delete the quiz “%(title)s”?", title=quiz.title),
        consequence=_("Its questions are deleted with it. This cannot be undone."),
        refusal=forms.refusal(refused) if refused else None,
        back=back,
        form=forms.EmptyForm(),
    )


@bp.route("/courses/<slug>/quizzes/<id:quiz_id>/questions/new", methods=["GET", "POST"])
def question_new(slug: str, quiz_id: int):
    course = _course(slug)
    quiz = quiz_authoring.quiz_of_course(course.id, quiz_id)
    form = forms.QuizQuestionForm()
    if form.validate_on_submit():
        try:
            question = quiz_authoring.add_question(
                current_user.id, course.id, quiz.id, form.draft(), client_ip()
            )
        except EditRefused as refused:
            form.show(refused)
        else:
            flash(_("Question added."), "success")
            return redirect(_quiz_anchor(slug, quiz.id, question.id))
    return render_template("studio/question_form.html", **_quiz_question_page(course, quiz, form))


def _quiz_anchor(slug: str, quiz_id: int, question_id: int) -> str:
    return url_for(".quiz_detail", slug=slug, quiz_id=quiz_id, _anchor=f"question-{question_id}")


def _quiz_question_page(course, quiz, form, question=None, **extra) -> dict:
    return {
        "course": course,
        "form": form,
        "question": question,
        "parent_title": quiz.title,
        "back": url_for(".quiz_detail", slug=course.slug, quiz_id=quiz.id),
        **extra,
    }


@bp.route(
    "/courses/<slug>/quizzes/<id:quiz_id>/questions/<id:question_id>", methods=["GET", "POST"]
)
def question_edit(slug: str, quiz_id: int, question_id: int):
    course = _course(slug)
    quiz = quiz_authoring.quiz_of_course(course.id, quiz_id)
    question = quiz_authoring.question_of_quiz(quiz, question_id)
    form = forms.QuizQuestionForm(data=get_data(forms.question_data(question)))
    conflict = None
    if form.validate_on_submit():
        try:
            quiz_authoring.update_question(
                current_user.id,
                course.id,
                quiz.id,
                question.id,
                form.opened_version,
                form.draft(),
                client_ip(),
            )
        except EditConflict:
            fresh = quiz_authoring.quiz_of_course(course.id, quiz_id)
            conflict = conflict_with(form, quiz_authoring.question_of_quiz(fresh, question_id))
        except EditRefused as refused:
            form.show(refused)
        else:
            flash(_("Question saved."), "success")
            return redirect(_quiz_anchor(slug, quiz.id, question.id))
    page = _quiz_question_page(
        course,
        quiz,
        form,
        question,
        conflict=conflict,
        answered=question.id in quiz_authoring.answers_given(quiz.id),
        delete=url_for(".question_delete", slug=slug, quiz_id=quiz.id, question_id=question.id),
    )
    return render_template("studio/question_form.html", **page)


@bp.post("/courses/<slug>/quizzes/<id:quiz_id>/questions/<id:question_id>/move")
def question_move(slug: str, quiz_id: int, question_id: int):
    course = _course(slug)
    form = forms.MoveForm()
    if not form.validate_on_submit():
        abort(400)
    if quiz_authoring.move_question(
        current_user.id, course.id, quiz_id, question_id, form.step, client_ip()
    ):
        flash(_("Order saved."), "success")
    return redirect(_quiz_anchor(slug, quiz_id, question_id))


@bp.route(
    "/courses/<slug>/quizzes/<id:quiz_id>/questions/<id:question_id>/delete",
    methods=["GET", "POST"],
)
def question_delete(slug: str, quiz_id: int, question_id: int):
    course = _course(slug)
    quiz = quiz_authoring.quiz_of_course(course.id, quiz_id)
    question = quiz_authoring.question_of_quiz(quiz, question_id)
    back = url_for(".quiz_detail", slug=slug, quiz_id=quiz.id)
    if forms.EmptyForm().validate_on_submit():
        try:
            quiz_authoring.delete_question(
                current_user.id, course.id, quiz.id, question.id, client_ip()
            )
        except EditRefused as refused:
            flash(forms.refusal(refused), "error")
        else:
            flash(_("Question deleted."), "success")
        return redirect(back)
    refused = quiz_authoring.question_deletion_refused(quiz, question)
    return render_template(
        "studio/confirm_delete.html",
        course=course,
        heading=_("Delete this question of “%(title)s”?", title=quiz.title),
        question=question,
        consequence=_("This cannot be undone."),
        refusal=forms.refusal(refused) if refused else None,
        back=back,
        form=forms.EmptyForm(),
    )
