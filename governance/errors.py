"""Why a governance write was refused. The admin shows the message; the service audits the refusal."""

from audit.choices import Outcome


class GovernanceError(Exception):
    outcome = Outcome.FAILED

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class NotAllowed(GovernanceError):
    """The actor's roles do not allow this."""

    outcome = Outcome.DENIED


class NotAReviewer(NotAllowed):
    """The actor may not decide for this campaign or sample."""


class CampaignClosed(GovernanceError):
    """The campaign is completed or cancelled: its decisions are final."""


class CampaignIncomplete(GovernanceError):
    """Completing needs every item decided."""


class AlreadyRevoked(GovernanceError):
    """The access was removed by an earlier decision; restoring it is a new grant, not a re-decision."""
