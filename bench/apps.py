"""The two apps the benchmarks serve with gunicorn: the real one, and the floor.

The floor renders the same base layout with a lesson-sized text and touches no database: what
is left of a request once the database and the lesson logic are taken away.
"""

from __future__ import annotations

from flask import render_template

from lms import create_app

FLOOR_TEMPLATE = """{% extends "base.html" %}
{% block content %}<div class="container"><article class="lesson"><h1>Floor</h1>
<div class="prose">{% for _ in range(60) %}<p>{{ text }}</p>{% endfor %}</div></article></div>
{% endblock %}"""
TEXT = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt."


def app():
    return create_app()


def floor_app():
    application = create_app()
    template = application.jinja_env.from_string(FLOOR_TEMPLATE)  # compiled once, like a file

    @application.get("/_floor")
    def floor():
        return render_template(template, text=TEXT)

    return application
