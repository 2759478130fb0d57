"""Markdown to safe HTML: python-markdown renders, nh3 removes anything executable."""

from __future__ import annotations

from functools import lru_cache

import markdown as md
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
INLINE_TAGS = {"a", "b", "br", "code", "del", "em", "i", "strong", "sub", "sup"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}}


def render_markdown(text: str | None) -> Markup:
    """Render author or member Markdown; the result is safe to put in a page as is."""
    if not text:
        return Markup("")
    return Markup(_render(text))  # noqa: S704 - sanitized by nh3 in _render


def render_preview(text: str) -> Markup:
    """The editor's live preview: every keystroke is a new text, so it is not kept."""
    return Markup(_sanitized(text))  # noqa: S704 - sanitized by nh3


@lru_cache(maxsize=1024)
def _render(text: str) -> str:
    """Rendering a lesson costs milliseconds; the same text always gives the same HTML."""
    return _sanitized(text)


def _sanitized(text: str) -> str:
    html = md.markdown(
        text, extensions=["tables", "fenced_code", "sane_lists"], output_format="html"
    )
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def render_inline_markdown(text: str | None) -> Markup:
    """Markdown kept to one line's worth of markup (bold, italic, code, links): for a question's
    prompt, which sits in a form's legend or a list item where paragraphs and lists do not go."""
    if not text:
        return Markup("")
    return Markup(_render_inline(text))  # noqa: S704 - sanitized by nh3 in _render_inline


@lru_cache(maxsize=1024)
def _render_inline(text: str) -> str:
    html = md.markdown(text, output_format="html")
    return nh3.clean(
        html,
        tags=INLINE_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    ).strip()
