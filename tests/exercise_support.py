"""What the exercise-check tests share: a verdict that must read as one, and edited references."""

from __future__ import annotations

from pathlib import Path

from workshop import checks


def verdict(exercise: str) -> checks.Verdict:
    """Run one check; its printed form must start with the mark that matches its outcome."""
    result = checks.run_check(exercise)
    assert str(result).startswith("✅" if result.passed else "❌")
    return result


def edited(reference: Path, **replacements: str) -> str:
    """A reference file's text with each ``old=new`` replaced; every ``old`` must be there."""
    text = reference.read_text()
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    return text
