# Framework models (the outbox) arrive with the issues that need them.
