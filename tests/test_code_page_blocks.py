"""Server blocks of a page are read as ASP.NET's page parser reads them: blanks may come before an
expression's `=` (`<% =Title %>`) and before an expression builder's `$` in an attribute
(`title="<% $Resources: Common, Last %>"`), and a VB page's expressions are VB statements (no `;`)."""

from __future__ import annotations

import pytest

from exhunt.codeanalysis.extract import Lang, extract
from exhunt.codeanalysis.syntax import parse


def _statements(page: str) -> tuple[str, bool]:
    units = [u for u in extract(page, ".aspx").units if u.kind.name == "STATEMENTS"]
    assert len(units) == 1, units
    parsed = parse(units[0])
    assert not isinstance(parsed, str)
    return units[0].text, parsed.tree.root_node.has_error


@pytest.mark.parametrize("block", ['<% =GetText("Title") %>', '<%  = GetText("Title") %>', '<%=GetText("Title")%>'])
def test_an_expression_with_blanks_before_its_mark_is_an_expression(block: str) -> None:
    code, has_error = _statements('<%@ Page Language="C#" %>\n<h2>' + block + "</h2>")
    assert "__out(" in code
    assert not has_error


def test_an_expression_builder_with_blanks_is_no_statement() -> None:
    page = '<%@ Page Language="C#" %>\n<a title="<% $Resources: Common, pagingLast %>">x</a><% =Title %>'
    code, has_error = _statements(page)
    assert "Resources" not in code
    assert not has_error


def test_a_vb_pages_expressions_are_vb_statements() -> None:
    page = '<%@ Page Language="VB" %>\n<p><%= Request.ServerVariables("URL") %></p>\n<p><% = szCMD %></p>'
    units = extract(page, ".aspx").units
    assert units[0].lang is Lang.VB
    code, has_error = _statements(page)
    assert ";" not in code
    assert not has_error
