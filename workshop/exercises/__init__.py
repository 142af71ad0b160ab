"""The checks of each lesson's exercises, one module per lesson."""

from workshop.exercises import lesson00, lesson01, lesson02  # noqa: F401
