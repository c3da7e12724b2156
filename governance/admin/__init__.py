"""Governance admin pages: access review campaigns and their items, audit samples and their events."""

from . import campaigns, samples  # noqa: F401  (registers the model admins)
