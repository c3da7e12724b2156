class SlaError(Exception):
    code = "sla_error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class EscalationNotFound(SlaError):
    code = "not_found"


class NotNotified(SlaError):
    """Only someone the escalation told may acknowledge it (403)."""

    code = "forbidden"


class AlreadyAcknowledged(SlaError):
    code = "conflict"
