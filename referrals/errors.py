"""Why a referral write was refused. Each face maps these to its own answer (HTTP code, form error)."""


class ReferralError(Exception):
    code = "referral_error"

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class ReferralNotFound(ReferralError):
    """Missing, or not visible to the actor: the two are never told apart."""

    code = "not_found"


class WrongSide(ReferralError):
    """The actor sees the referral but this step belongs to the other side (or needs another role)."""

    code = "forbidden"


class ConsentRequired(ReferralError):
    """Consent does not permit disclosing the referral to the receiving organization: nothing was sent."""

    code = "consent_required"

    def __init__(self, message: str, *, recipient=None, withheld: dict | None = None, consulted=()):
        super().__init__(message)
        self.recipient = recipient
        self.withheld = withheld or {}
        self.consulted = tuple(consulted)


class TransitionConflict(ReferralError):
    """The step does not apply to the referral as it is now (wrong state, or changed since loaded)."""

    code = "conflict"
