"""`syntax.role` answers most nodes from their kind alone; the kinds it reads further must not
also have a role by name, or that role would be answered without the further reading."""

from __future__ import annotations

from exhunt.codeanalysis.extract import CodeUnit, Lang, UnitKind
from exhunt.codeanalysis.syntax import _READ_FURTHER, ROLES, Role, parse, role


def test_the_kinds_read_further_have_no_role_by_name() -> None:
    assert not _READ_FURTHER & ROLES.keys()


def _roles_of(code: str, kind: str) -> list[Role]:
    parsed = parse(CodeUnit(Lang.VB, UnitKind.STATEMENTS, code, 1))
    found: list[Role] = []
    stack = [parsed.tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == kind:
            found.append(role(node))
        stack.extend(node.children)
    return found


def test_vb_forms_read_further_keep_their_roles() -> None:
    assert Role.NEW in _roles_of("Dim p As New Process()\n", "as_clause")
    assert Role.OTHER in _roles_of("Dim p As String\n", "as_clause")
    assert Role.ASSIGN in _roles_of('If a Then x = "y"\n', "inline_statement")
