"""Zero-setup development: SQLite, the filesystem broker, console email."""

from .base import *  # noqa: F403

DEBUG = env.bool("DEBUG", default=True)  # noqa: F405
