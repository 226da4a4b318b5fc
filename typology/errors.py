"""One error type for everything a user can get wrong.

The CLI turns a ``TypologyError`` into a single line on stderr and exit code 2, so the
message itself must name the file, row, column or config key and say what was expected.
"""

from __future__ import annotations


class TypologyError(Exception):
    """A user-facing error: bad config, bad data, unknown key or method.

    The message is one line naming the file, row, column or config key and what was expected;
    the command line prints it and exits with code 2.
    """
