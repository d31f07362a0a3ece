"""The identifier checks the rules share agree with python-stdnum's reference implementations."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from formats.peppol.rules._checks import _luhn_valid, se_orgnr


@given(st.text(alphabet="0123456789", min_size=1, max_size=20))
def test_luhn_agrees_with_stdnum(digits):
    assert _luhn_valid(digits) == luhn.is_valid(digits)


def test_swedish_organisation_numbers():
    assert se_orgnr("5567321707")
    assert not se_orgnr("5567321708"), "check digit"
    assert not se_orgnr("556732170"), "nine digits"
    assert not se_orgnr("556732-1707"), "digits only"
    assert not se_orgnr("５５６７３２１７０７"), "ASCII digits only"
