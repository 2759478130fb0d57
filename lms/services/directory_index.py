"""The listing held in memory by each process: every listed profile is one bit.

Counting how many of 90,000 matches carry each of 60 filter values is a pass over the matches
per search in SQL (200 ms and more on 100,000 profiles). Here each filter value is an int whose
set bits are its profiles, so a filter is an AND and a count is `bit_count()`: under a millisecond
for all of them. A profile's bit is its place in newest-certified-first order, so a page of
results sorted by newest is the next set bits. What a word matches is read from the database's
text index (FTS5 or tsvector) the first time it is asked for, and kept as bits too.

Services call `directory_listing.listing_changed` with every change that can alter the listing.
A process that finds the version moved patches its index for the profiles logged (their filter
values and the words kept) instead of building it again and reading every word afresh.
Certificates that expire are masked out as they do. Every six hours, or after a bulk load, the
index is built anew.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import repeat

from flask import current_app
from sqlalchemy import select
from sqlalchemy.sql.elements import ColumnElement

from lms.extensions import db
from lms.models import LANGUAGES, ROLES, SPECIALIZATIONS, Profile
from lms.services.bitsets import bits_of, insert_bit, with_bit
from lms.services.directory_listing import changed_since, listed, opted_in
from lms.services.italian_words import stems

MASKED = {
    "specializations": SPECIALIZATIONS,
    "roles": ROLES,
    "languages": LANGUAGES,
}
WHERE = ("anywhere", "title")  # a word anywhere in the profile, or in its name or headline
WORDS_KEPT = 1024  # (where, word) pairs an index keeps: at most 12.5 KB each per 100,000 bits
REBUILT_AFTER = timedelta(hours=6)
# Profiles changed; past this many, patching one by one costs more than a build (~18 ms each
# on 100,000 against ~1.2 s).
PATCHED_AT_MOST = 50
_profiles = Profile.__table__

# The ids one word matches, as one comma-separated text: a single value crosses from the driver
# instead of a row per id (21 ms against 37-63 ms for 100,000 ids on SQLite). On PostgreSQL one
# pass gives both: the name and headline are part of `search_vector`, and each row visited is a
# heap page read (the GIN index cannot give the ids alone).
_SQLITE_WORD = {
    "anywhere": "SELECT group_concat(rowid) FROM profiles_fts WHERE profiles_fts MATCH ?",
    "title": "SELECT group_concat(rowid) FROM profiles_fts"
    " WHERE profiles_fts MATCH 'title_text : ' || ?",
}
_POSTGRES_WORD = """
SELECT string_agg(id::text, ','), string_agg(id::text, ',') FILTER (WHERE title_vector @@ query)
FROM profiles, plainto_tsquery('italian', %s) AS query WHERE search_vector @@ query
"""
# Which of some words some profiles match, asked of PostgreSQL's own stemming in one statement.
_POSTGRES_PROFILE_WORDS = """
SELECT p.id, w.word, p.search_vector @@ plainto_tsquery('italian', w.word),
       p.title_vector @@ plainto_tsquery('italian', w.word)
FROM profiles AS p CROSS JOIN unnest(%s::text[]) AS w(word) WHERE p.id = ANY(%s)
"""


def driver_rows(sql: str, params: tuple = ()) -> list[tuple]:
    """Rows straight from the database driver, in the session's transaction.

    For the index's bulk reads only: through SQLAlchemy's result objects the same 100,000 ids
    took three to four times as long (130 ms against 38 ms on SQLite).
    """
    cursor = db.session.connection().connection.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def _rows(condition: ColumnElement[bool]) -> list[tuple]:
    """(id, certified_at, specializations, roles, languages, availability, region), newest
    certified first. The condition binds no value but ids, rendered into the SQL, so it runs
    on the driver."""
    p = _profiles.c
    statement = (
        select(
            p.id, p.certified_at, p.specializations, p.roles, p.languages, p.availability, p.region
        )  # fmt: skip
        .where(condition)
        .order_by(p.certified_at.desc(), p.id.desc())
    )
    compiled = statement.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
    return driver_rows(str(compiled))


def _keys_of(row: tuple) -> set[tuple]:
    """The filter values a row carries, as keys of `Snapshot.sets`."""
    keys: set[tuple] = {("availability", row[5])}
    for column, name in enumerate(MASKED, start=2):
        mask = row[column]
        keys.update((name, bit) for bit in range(mask.bit_length()) if mask >> bit & 1)
    if row[6]:
        keys.add(("region", row[6].lower()))
    return keys


@dataclass
class Snapshot:
    """The listing as of one version. Patching makes a new one; a search keeps the one it got.
    Only what words match is added to it, by swapping in a new `sets`, never changing one."""

    version: int
    built_for: datetime
    fresh_until: datetime
    ids: list[int]  # bit -> profile id; a bit no longer listed stays, cleared in `everyone`
    keys: list[tuple]  # bit -> (certified_at, id), in descending order: where a profile goes
    everyone: int
    sets: dict[tuple, int]  # ("roles", 3), ("region", "lazio"), ("anywhere", "grafica") -> bits
    region_names: dict[str, str]  # lower-cased -> as written
    expiring: list[tuple[datetime, int]]  # (certified until, profile id) before fresh_until
    positions: dict[int, int]  # profile id -> bit, if listed
    _live: tuple[int, int] = (0, 0)  # (how many have expired, the bits still listed)

    @property
    def size(self) -> int:
        return len(self.ids)

    def state(self, now: datetime) -> tuple:
        """Which listing this is at `now`: built when, patched up to which version, and how
        many certificates have expired since."""
        return (self.built_for, self.version, self._expired(now))

    def _expired(self, now: datetime) -> int:
        """How many of `expiring` have expired by `now` (they are in order)."""
        return bisect_right(self.expiring, (now, float("inf")))

    def live(self, now: datetime) -> int:
        """Everyone listed, less the certificates that expired since the index was read."""
        expired = self._expired(now)
        if not expired:
            return self.everyone
        if self._live[0] != expired:
            gone = self.bits_for(pid for _, pid in self.expiring[:expired])
            self._live = (expired, self.everyone & ~gone)
        return self._live[1]

    def bits_for(self, profile_ids) -> int:
        """The bits of these profiles; those not listed fall on the scratch bit."""
        size = self.size  # `map`, not a generator: no Python step per id (100,000 for a word)
        return bits_of(map(self.positions.get, profile_ids, repeat(size)), size)

    def filter_bits(self, key: tuple) -> int:
        return self.sets.get(key, 0)

    def word_bits(self, where: str, word: str) -> int:
        """What a word matches, read from the text index the first time."""
        kept = self.sets.get((where, word))
        if kept is None:
            if db.engine.dialect.name == "postgresql":
                found = dict(zip(WHERE, driver_rows(_POSTGRES_WORD, (word,))[0], strict=True))
            else:
                stem = f'"{stems([word])[0]}"'
                found = {where: driver_rows(_SQLITE_WORD[where], (stem,))[0][0]}
            read = {(key, word): self.bits_for(map(int, ids.split(","))) if ids else 0
                    for key, ids in found.items()}  # fmt: skip
            sets = self.sets  # replaced, never changed: other threads may be reading it
            if sum(1 for key in sets if key[0] in WHERE) >= WORDS_KEPT:
                sets = {key: bits for key, bits in sets.items() if key[0] not in WHERE}
            self.sets = {**sets, **read}
            kept = read[(where, word)]
        return kept


def _group(rows: list[tuple], column: int) -> dict:
    """Bits by value of one column: one dict step per row; the rest is done per value."""
    groups: dict = {}
    for bit, row in enumerate(rows):
        groups.setdefault(row[column], []).append(bit)
    return groups


def _build(version: int, now: datetime) -> Snapshot:
    fresh_until = now + REBUILT_AFTER
    p = _profiles.c
    expiring = db.session.execute(
        select(p.certified_until, p.id).where(opted_in(), p.certified_until < fresh_until)
    ).all()
    expired = {pid for until, pid in expiring if until <= now}
    rows = [row for row in _rows(opted_in()) if row[0] not in expired]
    size = len(rows)
    members: dict[tuple, list[int]] = {}
    for column, name in enumerate(MASKED, start=2):
        for mask, bits in _group(rows, column).items():
            for code in range(mask.bit_length()):
                if mask >> code & 1:
                    members.setdefault((name, code), []).extend(bits)
    for availability, bits in _group(rows, 5).items():
        members[("availability", availability)] = bits
    region_names: dict[str, str] = {}
    for region, bits in _group(rows, 6).items():
        if region:
            key = region.lower()
            region_names[key] = min(region_names.get(key, region), region)
            members.setdefault(("region", key), []).extend(bits)
    return Snapshot(
        version=version,
        built_for=now,
        fresh_until=fresh_until,
        ids=[row[0] for row in rows],
        positions={row[0]: bit for bit, row in enumerate(rows)},
        keys=[(row[1], row[0]) for row in rows],
        everyone=(1 << size) - 1,
        sets={key: bits_of(bits, size) for key, bits in members.items()},
        region_names=region_names,
        expiring=sorted((until, pid) for until, pid in expiring if pid not in expired),
    )


def _words_of_profiles(profile_ids: list[int], words: list[str]) -> set[tuple[str, str, int]]:
    """(where, word, profile id) for each word kept that each of these profiles matches."""
    if not words:
        return set()
    matched = set()
    if db.engine.dialect.name == "postgresql":
        for pid, word, anywhere, title in driver_rows(
            _POSTGRES_PROFILE_WORDS, (words, profile_ids)
        ):
            matched.update(
                (where, word, pid)
                for where, hit in (("anywhere", anywhere), ("title", title))
                if hit
            )
        return matched
    # SQLite's index holds the stems written in search_text and title_text: the same tokens.
    stem_of = dict(zip(words, stems(list(words)), strict=True))
    rows = db.session.execute(
        select(_profiles.c.id, _profiles.c.search_text, _profiles.c.title_text).where(
            _profiles.c.id.in_(profile_ids)
        )
    )
    for pid, anywhere, title in rows:
        for where, text in (("anywhere", set(anywhere.split())), ("title", set(title.split()))):
            matched.update((where, word, pid) for word in words if stem_of[word] in text)
    return matched


def _place(keys: list[tuple], key: tuple) -> int:
    """Where `key` goes in the descending `keys`."""
    low, high = 0, len(keys)
    while low < high:
        middle = (low + high) // 2
        if keys[middle] > key:
            low = middle + 1
        else:
            high = middle
    return low


def _patch(old: Snapshot, version: int, changed: list[int], now: datetime) -> Snapshot:
    """The index with the changed profiles read again: dropped, updated where they are, or put
    in at their place in the order (every set gains a bit there)."""
    p = _profiles.c
    listed_now = {
        pid: until
        for until, pid in db.session.execute(
            select(p.certified_until, p.id).where(p.id.in_(changed), listed(now))
        )
    }
    rows = {row[0]: row for row in _rows(p.id.in_(changed)) if row[0] in listed_now}
    sets = old.sets  # read once: a word another thread adds later was read for `old` alone
    words = sorted({key[1] for key in sets if key[0] in WHERE})
    matched = _words_of_profiles(sorted(rows), words)
    new = replace(old, version=version, ids=list(old.ids), keys=list(old.keys),
                  sets=dict(sets), region_names=dict(old.region_names),
                  positions=dict(old.positions), _live=(0, 0))  # fmt: skip
    for pid in changed:
        bit = new.positions.pop(pid, None)
        row = rows.get(pid)
        if bit is not None and row is not None and new.keys[bit] == (row[1], pid):
            new.positions[pid] = bit  # same place in the order: its bits are set again below
        elif bit is not None:
            new.everyone = with_bit(new.everyone, bit, False)
        if row is None or pid in new.positions:
            continue
        bit = _place(new.keys, (row[1], pid))
        new.ids.insert(bit, pid)
        new.keys.insert(bit, (row[1], pid))
        new.everyone = insert_bit(new.everyone, bit, True)
        new.sets = {key: insert_bit(bits, bit, False) for key, bits in new.sets.items()}
        new.positions = {other: place + (place >= bit) for other, place in new.positions.items()}
        new.positions[pid] = bit
    for pid, row in rows.items():
        bit = new.positions[pid]
        # A word is only kept where it was read (SQLite reads "title" on its own, when asked).
        words_hit = {(where, word) for where, word, hit in matched if hit == pid}
        carried = _keys_of(row) | (words_hit & new.sets.keys())
        for key in carried - new.sets.keys():
            new.sets[key] = 0
        new.sets = {key: with_bit(bits, bit, key in carried) for key, bits in new.sets.items()}
        if row[6]:
            name = new.region_names.get(row[6].lower(), row[6])
            new.region_names[row[6].lower()] = min(name, row[6])
    new.expiring = sorted(
        [(until, pid) for until, pid in old.expiring if pid not in listed_now]
        + [
            (until, pid)
            for pid, until in listed_now.items()
            if until is not None and until < new.fresh_until
        ]  # fmt: skip
    )
    return new


class _Holder:
    def __init__(self):
        self.lock = threading.Lock()
        self.snapshot: Snapshot | None = None


def current(now: datetime) -> Snapshot:
    """The index for the listing as committed now: reused, patched, or built again.

    The request's own reads (cards, words) must be no older than the index: when another
    thread has already brought it further than this transaction sees (SQLite keeps a read
    snapshot from its first read), the transaction is ended and the version read again.
    """
    holder = current_app.extensions.setdefault("directory_index", _Holder())
    for _attempt in range(3):
        version = driver_rows("SELECT max(version) FROM directory_version")[0][0] or 0
        snapshot = _brought_to(holder, version, now)
        if snapshot.version <= version:
            return snapshot
        db.session.rollback()  # a read-only request: only its snapshot of the database ends
    return snapshot


def _brought_to(holder: _Holder, version: int, now: datetime) -> Snapshot:
    snapshot = holder.snapshot
    if _serves(snapshot, version, now):
        return snapshot
    with holder.lock:  # one thread brings it up to date; the others wait for its result
        snapshot = holder.snapshot
        if _serves(snapshot, version, now):
            return snapshot
        changed = None
        if snapshot is not None and snapshot.built_for <= now < snapshot.fresh_until:
            version, changed = changed_since(snapshot.version, PATCHED_AT_MOST)
        if changed is None:
            snapshot = _build(version, now)
        else:
            snapshot = _patch(snapshot, version, changed, now)
        holder.snapshot = snapshot
    return snapshot


def _serves(snapshot: Snapshot | None, version: int, now: datetime) -> bool:
    return (
        snapshot is not None
        and snapshot.version >= version
        and snapshot.built_for <= now < snapshot.fresh_until
    )
