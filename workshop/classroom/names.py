"""Participant names to PostgreSQL names: readable where possible, and never the same for two.

A hub's user names are free text: ``ada.l``, ``ada-l``, ``李雷``, an e-mail address, a 70-letter
name. PostgreSQL identifiers that need no quoting hold only ``a-z``, ``0-9`` and ``_``, at most
63 bytes. Cutting a name down to that alone made ``ada.l`` and ``ada-l`` one database, every name
without ASCII letters ``workshop_participant``, and every long name with the same beginning one
database too: two participants then shared (and could break) one database.

The rule, :func:`slug`:

* A name that is already a plain identifier is kept as it is: lower-case ASCII letters and
  digits, starting with a letter, words joined by single underscores (``ada``, ``ada_l``,
  ``s1234``), short enough to fit.
* Any other name gets a readable part (accents dropped, other characters turned into ``_``, cut
  to fit) then ``__`` and the first :data:`HASH_LENGTH` hex digits of the SHA-256 of the name as
  given: ``ada.l`` -> ``ada_l__8debcb8d``; ``李雷`` -> ``user__3a47328a``.

A kept name never holds ``__`` and a changed one always does, so the two kinds never meet; two
changed names meet only if their hashes' first 32 bits do (for a class of 1000, a chance of about
one in ten thousand), and :mod:`workshop.classroom.provision` refuses that case rather than
sharing: each role records the name it was made for.

This module needs the standard library only: a Zero to JupyterHub hub image mounts it as a file.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

PREFIX = "workshop_"
MAX_IDENTIFIER = 63  # PostgreSQL's NAMEDATALEN - 1, in bytes (our names are ASCII)
HASH_LENGTH = 8
SEPARATOR = "__"
EMPTY = "user"  # the readable part of a name with no ASCII letter or digit at all

_PLAIN = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_ROOM = MAX_IDENTIFIER - len(PREFIX)


def is_plain(name: str) -> bool:
    """Whether ``name`` is kept as it is (see the module's docstring)."""
    return bool(_PLAIN.fullmatch(name)) and len(name) <= _ROOM


def digest(name: str) -> str:
    """The short hash that tells changed names apart: SHA-256 of the name's UTF-8 bytes."""
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_LENGTH]


def readable(name: str) -> str:
    """What can be kept of ``name`` in ``a-z0-9_``: accents dropped, runs of anything else one
    ``_``, no ``_`` at either end (so never ``__``)."""
    ascii_only = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", ascii_only.lower()).strip("_")


def slug(name: str) -> str:
    """The participant's part of their role and database name (see the module's docstring)."""
    if is_plain(name):
        return name
    room = _ROOM - len(SEPARATOR) - HASH_LENGTH
    kept = readable(name)[:room].rstrip("_") or EMPTY
    return f"{kept}{SEPARATOR}{digest(name)}"


def role_name(name: str) -> str:
    """The participant's login role: ``workshop_`` and their :func:`slug`."""
    return PREFIX + slug(name)


def database_name(name: str) -> str:
    """The participant's database: the same name as their role, which owns it."""
    return role_name(name)
