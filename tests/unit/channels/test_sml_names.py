"""The SML DNS name of a participant, pinned to the published test vectors (peppol-commons)."""

import pytest

from channels.peppol.smp import TEST_ZONE, apply_naptr_regexp, sml_name


def test_the_published_test_vector_of_the_test_sml():
    assert sml_name("9915:test", TEST_ZONE) == (
        "eh5boavaktmbgzyh2a63dz4qov33fvp5nsdvqklucfraayoodw6a.iso6523-actorid-upis.participant.sml.test.tech.peppol.org"
    )


@pytest.mark.parametrize(
    "value", ["0088:123abc", "0088:123ABC", "iso6523-actorid-upis::0088:123ABC"]
)
def test_the_policy_example_is_case_insensitive(value):
    assert (
        sml_name(value, "zone.example")
        == "y7dzfxaf3d4cjz4kcgrxtec6twvcga4ky7zwa5boif6mswd4tdrq.iso6523-actorid-upis.zone.example"
    )


@pytest.mark.parametrize(
    ("regexp", "expected"),
    [
        ("!^.*$!https://smp.example.com!", "https://smp.example.com"),
        ("!.*!http://smp.netfly.eu.com!", "http://smp.netfly.eu.com"),
        ("#^(.*)$#https://smp.example.com/\\1#", "https://smp.example.com/abc.zone"),
    ],
)
def test_naptr_regexps_give_the_smp_url(regexp, expected):
    assert apply_naptr_regexp(regexp, "abc.zone") == expected


def test_a_malformed_naptr_regexp_is_refused():
    with pytest.raises(ValueError):
        apply_naptr_regexp("!x", "abc.zone")
