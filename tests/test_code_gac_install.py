"""An assembly put into the global assembly cache from a page (System.EnterpriseServices'
`Publish.GacInstall`), the step before IIS's configuration names it as a managed module: written
with `new`, kept in a variable, imported by namespace, in VB, and reached by reflection. Kept
quiet: a page that only asks whether an assembly sits in the cache."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, vb_page

RULE = "EXH-WS-CODE-GAC-INSTALL"

SHELLS = [
    (
        "gac.aspx",
        cs_page('new System.EnterpriseServices.Internal.Publish().GacInstall(Request["f"]);'),
        ["request parameter 'f'", "Publish.GacInstall"],
    ),
    (
        "gac_import.aspx",
        cs_page(
            'Publish p = new Publish(); p.GacInstall(@"C:\\Windows\\Temp\\HttpLogger.dll");',
            imports=("System.EnterpriseServices.Internal",),
        ),
        ["installs an assembly into the global assembly cache"],
    ),
    (
        "gac_vb.aspx",
        vb_page('Dim p As New System.EnterpriseServices.Internal.Publish()\np.GacInstall("c:\\programdata\\m.dll")'),
        ["Publish.GacInstall"],
    ),
    (
        "gac_reflect.aspx",
        cs_page(
            'var t = Type.GetType("System.EnterpriseServices.Internal." + "Publish, System.EnterpriseServices, '
            'Version=4.0.0.0, Culture=neutral, PublicKeyToken=b03f5f7f11d50a3a");\n'
            't.GetMethod("Gac" + "Install").Invoke(Activator.CreateInstance(t), new object[] { Request.Form["p"] });'
        ),
        ["form field 'p'", "Publish.GacInstall"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_assembly_installed_into_the_cache(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, RULE, words)


def test_page_asking_whether_an_assembly_is_cached_is_not_reported() -> None:
    assert_benign(
        "gac_status.aspx",
        cs_page(
            'var a = System.Reflection.Assembly.ReflectionOnlyLoad("System.EnterpriseServices");\n'
            'Label1.Text = a.GlobalAssemblyCache ? "in the GAC" : "local";'
        ),
    )
