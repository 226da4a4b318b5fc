"""The Jinja2 environment that renders the HTML pages from ``render/templates``.

Autoescaping is on for ``.html`` templates. Every plain value is escaped with ``html.escape``
(not MarkupSafe's own escape): the fragments built in Python use ``html.escape`` too, so a
quote is written the same way (``&#x27;``, ``&quot;``) wherever it comes from, and pages stay
byte for byte what they were before the move to Jinja. Values marked ``Markup`` are inserted
as they are, so only text built from escaped parts, or our own inlined scripts, styles and
JSON, may be marked.
"""

from __future__ import annotations

import html
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_eval_context, select_autoescape
from jinja2.nodes import EvalContext
from markupsafe import Markup


@pass_eval_context
def _escape(eval_ctx: EvalContext, value: Any) -> Any:
    if not eval_ctx.autoescape or hasattr(value, "__html__"):
        return value
    return Markup(html.escape(str(value)))


@cache
def environment() -> Environment:
    # keep_trailing_newline: a page ends exactly as its template file does. StrictUndefined: a
    # misspelt variable fails the run instead of leaving a silent gap in the page.
    return Environment(loader=PackageLoader("typology.render", "templates"),
                       autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
                       finalize=_escape, keep_trailing_newline=True, undefined=StrictUndefined)


@cache
def asset(name: str) -> str:
    """A template file's own text (a script or style to inline), unrendered."""
    return (resources.files("typology.render") / "templates" / name).read_text(encoding="utf-8")


def render(name: str, **values: Any) -> str:
    """A template of ``render/templates`` filled with ``values``."""
    return environment().get_template(name).render(**values)
