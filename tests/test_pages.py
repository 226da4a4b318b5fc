"""The Jinja2 environment of the HTML pages: html.escape's entities, Markup untouched, no silent gaps."""

from __future__ import annotations

import html

import pytest
from jinja2 import UndefinedError
from markupsafe import Markup

from typology.render.pages import environment

HOSTILE = "<b>\"중구\" & '동구'</b>"


def test_plain_values_are_escaped_as_html_escape_does():
    page = environment().from_string('<p title="{{ v }}">{{ v }}</p>').render(v=HOSTILE)
    assert page == f'<p title="{html.escape(HOSTILE)}">{html.escape(HOSTILE)}</p>'
    assert "&#x27;" in page and "&#39;" not in page


def test_markup_is_inserted_as_it_is():
    assert environment().from_string("{{ v }}").render(v=Markup("<i>x</i>")) == "<i>x</i>"


def test_a_missing_value_fails_instead_of_leaving_a_gap():
    with pytest.raises(UndefinedError):
        environment().get_template("report.html").render()


@pytest.mark.parametrize("name", ["map.html", "report.html"])
def test_templates_keep_their_trailing_newline_and_no_old_markers(name):
    source = environment().loader.get_source(environment(), name)[0]
    assert "@" not in source.replace("@media", "")
    assert source.endswith("</html>\n")
