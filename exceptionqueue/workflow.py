"""The exception lifecycle as a table; `exception_transition` is the only code that assigns a status."""

from __future__ import annotations

from dataclasses import dataclass

from .choices import ExceptionStatus as S


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[S]
    target: S
    note_required: bool = False
    # Closing steps record who and when on the item (resolved_by/at) and keep the note.
    closes: bool = False
    danger: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition("start", "Start working", frozenset({S.OPEN}), S.IN_PROGRESS),
        Transition("resolve", "Resolve", frozenset({S.OPEN, S.IN_PROGRESS}), S.RESOLVED, True, True),
        Transition("dismiss", "Dismiss", frozenset({S.OPEN, S.IN_PROGRESS}), S.DISMISSED, True, True, True),
        Transition("reopen", "Reopen", frozenset({S.RESOLVED, S.DISMISSED}), S.OPEN),
    )
}
