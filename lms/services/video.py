"""Lesson videos: only YouTube and Vimeo are embedded, through their privacy-friendly players."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

EMBED_ORIGINS = ("https://www.youtube-nocookie.com", "https://player.vimeo.com")
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_VIMEO_ID = re.compile(r"^\d{6,12}$")


def embed_url(url: str | None) -> str | None:
    """The player URL for a YouTube or Vimeo link, or None for anything else."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        return None
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    video_id = None
    if host in ("youtube.com", "youtube-nocookie.com"):
        if parts.path == "/watch":
            video_id = parse_qs(parts.query).get("v", [""])[0]
        elif parts.path.startswith(("/embed/", "/shorts/", "/live/")):
            video_id = parts.path.split("/")[2]
        if video_id and _YOUTUBE_ID.match(video_id):
            return f"https://www.youtube-nocookie.com/embed/{video_id}"
    elif host == "youtu.be":
        video_id = parts.path.lstrip("/").split("/")[0]
        if _YOUTUBE_ID.match(video_id):
            return f"https://www.youtube-nocookie.com/embed/{video_id}"
    elif host in ("vimeo.com", "player.vimeo.com"):
        video_id = parts.path.rstrip("/").split("/")[-1]
        if _VIMEO_ID.match(video_id):
            return f"https://player.vimeo.com/video/{video_id}"
    return None


def reading_minutes(markdown_text: str) -> int:
    """About 200 words a minute, at least one."""
    return max(1, round(len(markdown_text.split()) / 200))


def external_link(url: str | None) -> str | None:
    """A video URL to link to when it cannot be embedded: web addresses only."""
    if url and urlsplit(url.strip()).scheme in ("http", "https"):
        return url.strip()
    return None
