"""A campaign's life as a table: which step leads from which status to which."""

from __future__ import annotations

from dataclasses import dataclass

from .choices import CampaignStatus


@dataclass(frozen=True)
class CampaignStep:
    name: str
    label: str
    sources: frozenset[str]
    target: str


CAMPAIGN_STEPS: dict[str, CampaignStep] = {
    step.name: step
    for step in (
        CampaignStep("complete", "Complete", frozenset({CampaignStatus.OPEN}), CampaignStatus.COMPLETED),
        CampaignStep("cancel", "Cancel", frozenset({CampaignStatus.OPEN}), CampaignStatus.CANCELLED),
    )
}
