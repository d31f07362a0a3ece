"""Check-digit algorithms for party identifiers, as Peppol BIS 3.0 (PEPPOL-COMMON-R040…R050)
and the national rules define them. Pure functions of the identifier text, so each keeps its
recent answers: a sender's identifiers are the same on every invoice it sends."""

from __future__ import annotations

import functools
import re

#: Recent answers kept per check: identifiers of the senders and buyers in current traffic.
_remembered = functools.lru_cache(maxsize=4096)


@_remembered
def gln(value: str) -> bool:
    """GS1 GLN/GTIN: weights 3,1 from the right over all but the check digit."""
    if not value.isdigit() or len(value) < 2:
        return False
    body, check = value[:-1], int(value[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


@_remembered
def mod11(value: str) -> bool:
    """Norwegian organisation number: weights 2..7 cyclic from the right; result must be the check digit."""
    if not value.isdigit() or int(value) <= 0:
        return False
    body, check = value[:-1], int(value[-1])
    total = sum(int(d) * ((i % 6) + 2) for i, d in enumerate(reversed(body)))
    return (11 - total % 11) % 11 == check


@_remembered
def mod97_be(value: str) -> bool:
    """Belgian enterprise number (0208): the last two digits are 97 - (first eight mod 97)."""
    return bool(re.fullmatch(r"\d{10}", value)) and int(value[8:10]) == 97 - int(value[:8]) % 97


@_remembered
def se_orgnr(value: str) -> bool:
    """Swedish organisation number: ten digits with a Luhn check digit."""
    return len(value) == 10 and value.isascii() and value.isdigit() and _luhn_valid(value)


#: The digit sum of 2 × d, for the digits Luhn doubles.
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def _luhn_valid(digits: str) -> bool:
    """The Luhn check (ISO/IEC 7812-1) on a string of digits: every second digit from the
    right doubled. Written out because it runs for every identifier of every invoice, at a
    tenth of python-stdnum's cost."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        total += _DOUBLED[digit] if position % 2 else digit
    return total % 10 == 0


@_remembered
def dk_cvr(value: str) -> bool:
    """Danish CVR as PEPPOL-COMMON-R042 accepts it: 8 digits, or DK + 8 digits."""
    return bool(re.fullmatch(r"DK\d{8}", value) or re.fullmatch(r"\d{8}", value))


@_remembered
def abn(value: str) -> bool:
    """Australian Business Number: subtract 1 from the first digit, weights, modulo 89."""
    if not re.fullmatch(r"\d{11}", value):
        return False
    weights = (10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19)
    digits = [int(d) for d in value]
    digits[0] -= 1
    return sum(w * d for w, d in zip(weights, digits, strict=True)) % 89 == 0
