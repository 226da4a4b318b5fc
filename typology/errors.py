"""One error type for everything a user can get wrong.

The CLI turns a ``TypologyError`` into a single line on stderr and exit code 2, so the
message itself must name the file, row, column or config key and say what was expected.
"""

from __future__ import annotations


class TypologyError(Exception):
    """A user-facing error: bad config, bad data, unknown key or method.

    The message is one line naming the file, row, column or config key and what was expected;
    the command line prints it and exits with code 2.

    Examples
    --------
    >>> import typology as tp
    >>> try:
    ...     tp.load_config(None, ["reference_year=abc"])
    ... except tp.TypologyError as err:
    ...     print(err)
    config key reference_year: expected a whole number in [1900, 2100], got 'abc'
    """


def excerpt(value: object, limit: int = 60) -> str:
    """A cell of an untrusted file as quoted in an error: escaped (``repr``) and cut to ``limit`` characters.

    An error names where the problem is; it never prints a whole cell, which may be a line of
    someone's file or 100,000 characters long (at most about 80 characters are shown).

    Parameters
    ----------
    value : object
        The cell.
    limit : int, default 60
        Characters kept.

    Returns
    -------
    str
        The quoted excerpt, with the full length when cut.
    """
    text = str(value)
    shown = repr(text[: limit + 1])
    if len(shown) <= limit + 2 and len(text) <= limit:
        return shown
    return f"{shown[:limit]}… ({len(text):,} characters)"


def one_line(exc: BaseException) -> str:
    r"""An exception as the single line another process reports for it: its type and first line.

    Parameters
    ----------
    exc : BaseException
        The failure.

    Returns
    -------
    str
        ``"Type: first line"``, or the type's name alone when the message is empty.

    Examples
    --------
    >>> one_line(ValueError("bad value\nmore detail"))
    'ValueError: bad value'
    """
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
