"""Why an exception-queue write was refused. Pages and the API map these to their own answers."""


class ExceptionQueueError(Exception):
    code = "exception_error"

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class ExceptionNotFound(ExceptionQueueError):
    """Missing, or not visible to the actor: the two are never told apart."""

    code = "not_found"


class NotAllowed(ExceptionQueueError):
    """The actor sees the item but may not work it (wrong role at the owner organization)."""

    code = "forbidden"


class TransitionConflict(ExceptionQueueError):
    """The step does not apply to the item as it is now (wrong state, or changed since loaded)."""

    code = "conflict"


class InvalidInput(ExceptionQueueError):
    """A required note is missing, or a value is not one the queue knows."""

    code = "invalid"
