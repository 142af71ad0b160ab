"""The kit's one exception type: a plain-words problem plus the fix, for people mid-lesson."""

from __future__ import annotations


class WorkshopError(Exception):
    """Something a participant or instructor can act on.

    ``fix`` says what to do about it; the message says what went wrong. Both are short and free of
    jargon, because they are read in the middle of an exercise.
    """

    def __init__(self, message: str, *, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message}\n  Fix: {self.fix}" if self.fix else self.message
