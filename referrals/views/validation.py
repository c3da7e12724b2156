"""How the pages show what the template's rules refused: one line per problem, with where to fix it."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.http import urlencode

from ..models import Referral
from ..validation.codes import CheckResult, Problem


@dataclass(frozen=True)
class ProblemLine:
    label: str
    message: str
    code: str
    link: str
    link_text: str


def _fix(problem: Problem, referral: Referral) -> tuple[str, str]:
    if problem.referral_id:
        return reverse("referrals:detail", args=[problem.referral_id]), "Open that referral"
    if problem.fix_step == "client":
        back = reverse("referrals:draft_review", args=[referral.pk])
        edit = reverse("clients:edit", args=[referral.client_id])
        return f"{edit}?{urlencode({'next': back})}", "Correct the client's record"
    if problem.fix_step == "service":
        return reverse("referrals:draft_service", args=[referral.pk]), "Choose another service"
    return reverse("referrals:draft_details", args=[referral.pk]), "Edit the details"


def problem_lines(problems: list[Problem], referral: Referral) -> list[ProblemLine]:
    lines = []
    for problem in problems:
        link, link_text = _fix(problem, referral)
        lines.append(ProblemLine(problem.label, problem.message, problem.code, link, link_text))
    return lines


def review_problems(result: CheckResult | None, referral: Referral) -> dict:
    """Template context: the errors, the warnings, and whether to offer the confirmation box."""
    if result is None:
        return {"problem_errors": [], "problem_warnings": [], "confirm_step": False}
    return {
        "problem_errors": problem_lines(result.errors, referral),
        "problem_warnings": problem_lines(result.warnings, referral),
        "confirm_step": bool(result.warnings) and not result.errors,
    }
