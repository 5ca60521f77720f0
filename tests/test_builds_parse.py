from __future__ import annotations

import pytest

from exhunt.builds import BuildForm, BuildParseError, assess_build, parse_build


@pytest.mark.parametrize(
    ("text", "normalised", "form"),
    [
        ("15.1.2176.2", "15.1.2176.2", BuildForm.FILE_VERSION),
        ("15.01.2176.002", "15.1.2176.2", BuildForm.FILE_VERSION),
        ("  15.2.1118.20\r\n", "15.2.1118.20", BuildForm.FILE_VERSION),
        ("\ufeff14.03.0513.000", "14.3.513.0", BuildForm.FILE_VERSION),
        ("15.1.2176", "15.1.2176", BuildForm.CU_LEVEL),
        ("Version 15.1 (Build 2176.2)", "15.1.2176", BuildForm.ADMIN_DISPLAY),
        ("version 15.2 (build 1118.7)", "15.2.1118", BuildForm.ADMIN_DISPLAY),
        ("8.3.517.0", "8.3.517.0", BuildForm.FILE_VERSION),
    ],
)
def test_accepted_forms(text: str, normalised: str, form: BuildForm) -> None:
    number = parse_build(text)
    assert str(number) == normalised
    assert number.form is form
    assert number.exact is (form is BuildForm.FILE_VERSION)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("15.1", "names a product version, not a build"),
        ("abc", "not an Exchange build number"),
        ("15.1.99999.1", "far outside any known Exchange Server 2016 CU"),
        ("15.2.9999.1", "far outside any known"),
        ("", "empty"),
        ("   ", "empty"),
        ("15.1.2176.2.1", "not an Exchange build number"),
        ("15.1.2176.", "not an Exchange build number"),
        ("-15.1.2176.2", "not an Exchange build number"),
        ("１５.1.2176.2", "not an Exchange build number"),  # full-width digits are not a version
        ("15.1.2176.70000", "above 65535"),
        ("15.20.4000.1", "Exchange Online"),
        ("15.3.100.1", "not an Exchange Server version"),
        ("12.0.1.1", "not an Exchange Server version"),
        ("15.1.100.1", "earlier than the first Exchange Server 2016 build"),
        ("1" * 500, "too long"),
        ("15.1.2176.2\x1b[31m", "not an Exchange build number"),
        ("15.1.2176.2; rm -rf /", "not an Exchange build number"),
    ],
)
def test_rejected_with_a_clear_message(text: str, reason: str) -> None:
    with pytest.raises(BuildParseError) as exc:
        parse_build(text)
    message = str(exc.value)
    assert reason in message
    assert "\n" not in message and len(message) < 250


def test_assess_build_never_raises_and_reports_the_error() -> None:
    for text in ["abc", "15.1", "15.1.99999.1", "\x00\xff", None, 15.1]:
        a = assess_build(text)  # type: ignore[arg-type]
        assert a.error, text
        assert a.build is None and a.next_update is None
        assert {str(e.status) for e in a.exposure.values()} == {"unknown"}
        assert set(a.exposure) == {"ProxyLogon", "ProxyShell", "ProxyNotShell", "OWASSRF"}
