"""The one exception hierarchy of storylog.

Each class carries the exit code the command line turns it into; nothing
else in the code decides exit codes (see ``storylog.cli``).
"""

from __future__ import annotations


class StorylogError(Exception):
    """Base class: a problem a user can act on, reported as one line."""

    exit_code = 1


class RefusedInput(StorylogError):
    """The input is not acceptable; the message says what to fix."""

    exit_code = 1


class NotFound(StorylogError):
    """An unknown story, update, version or source."""

    exit_code = 3


class Conflict(StorylogError):
    """Someone else changed what the editor based their change on."""

    exit_code = 4


class VerificationFailed(StorylogError):
    """A stored chain does not verify."""

    exit_code = 5


class StoreUnavailable(StorylogError):
    """The database cannot be opened or reached."""

    exit_code = 6


EXIT_CODES = {
    0: "success",
    1: "refused input: nothing was written",
    2: "usage error (unknown option, missing argument)",
    3: "unknown story, update, version or source",
    4: "conflict: the story or update changed since you looked; nothing was written",
    5: "verification failed: a stored chain was modified, or a checkpoint does not match",
    6: "the database cannot be opened or reached",
}
