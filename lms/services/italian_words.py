"""Italian words as the directory's search sees them: cut, stop words left out, stemmed.

Letters and digits only, so quotes, operators and emoji are never syntax. The stop words are
PostgreSQL's Italian list and the stems Snowball's, so SQLite (which indexes the stems written
here) and PostgreSQL (which stems with its `italian` configuration) find the same profiles.
"""

from __future__ import annotations

import re
import threading
from functools import cache
from pathlib import Path

import snowballstemmer

_WORD = re.compile(r"[^\W_]+")
_stemmer = threading.local()


@cache
def _stopwords() -> frozenset[str]:
    path = Path(__file__).with_name("italian-stopwords.txt")
    return frozenset(path.read_text(encoding="utf-8").split())


def stems(words: list[str]) -> list[str]:
    """Snowball objects keep state between calls: one per thread."""
    stemmer = getattr(_stemmer, "italian", None)
    if stemmer is None:
        stemmer = _stemmer.italian = snowballstemmer.stemmer("italian")
    return stemmer.stemWords(words)


def words_of(text: str) -> list[str]:
    """The searchable words of `text`, lower-cased, stop words left out."""
    stop = _stopwords()
    return [word for word in _WORD.findall(text.lower()) if word not in stop]


def search_text(*parts: str) -> str:
    """What SQLite's index holds for a profile: the stems of its words, space-separated."""
    return " ".join(stems(words_of(" ".join(parts))))
