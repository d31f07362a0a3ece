"""Payment references: Swedish OCR (Bankgirot) and Norwegian KID, generated and validated.

OCR: digits ending in a Luhn (mod 10) check digit; with Bankgirot's "variable length" control the
second-to-last digit is the total length (check and length digits included) modulo 10. Fixed-length
agreements require one of the agreed lengths. KID: 2–25 digits with a MOD10 (Luhn) or MOD11 check
digit (MOD11 remainder 10 is written "-"). Bankgiro numbers are 7–8 digits, Plusgiro 2–8 digits,
both ending in a Luhn check digit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from stdnum import luhn


class ReferenceError(ValueError):
    """A reference is malformed; the message says which check failed."""


@dataclass(frozen=True, slots=True)
class OcrPolicy:
    """The OCR control agreed with Bankgirot for the payee's account."""

    length_digit: bool = True  #: variable length with a length digit ("hard control + length")
    fixed_lengths: tuple[int, ...] = ()  #: fixed-length agreement: only these total lengths
    min_length: int = 2
    max_length: int = 25


def ocr(base: str, policy: OcrPolicy = OcrPolicy()) -> str:
    """An OCR reference for ``base`` (digits, e.g. the invoice number's digits)."""
    digits = "".join(ch for ch in base if ch.isdigit())
    if not digits:
        raise ReferenceError("an OCR reference needs digits to start from")
    if policy.length_digit:
        digits += str((len(digits) + 2) % 10)
    reference = digits + luhn.calc_check_digit(digits)
    validate_ocr(reference, policy)
    return reference


def validate_ocr(reference: str, policy: OcrPolicy = OcrPolicy()) -> None:
    if not reference.isdigit():
        raise ReferenceError("an OCR reference has digits only")
    if not policy.min_length <= len(reference) <= policy.max_length:
        raise ReferenceError(f"an OCR reference has {policy.min_length}-{policy.max_length} digits")
    if policy.fixed_lengths and len(reference) not in policy.fixed_lengths:
        raise ReferenceError(
            f"the agreement allows OCR lengths {list(policy.fixed_lengths)}, not {len(reference)}"
        )
    if not luhn.is_valid(reference):
        raise ReferenceError("the OCR check digit (mod 10) is wrong")
    if policy.length_digit and int(reference[-2]) != len(reference) % 10:
        raise ReferenceError("the OCR length digit does not match the reference's length")


def _mod11_digit(digits: str) -> str:
    weights = (2, 3, 4, 5, 6, 7)
    total = sum(int(d) * weights[i % 6] for i, d in enumerate(reversed(digits)))
    remainder = 11 - total % 11
    return "0" if remainder == 11 else "-" if remainder == 10 else str(remainder)


def kid(base: str, algorithm: str = "MOD10") -> str:
    digits = "".join(ch for ch in base if ch.isdigit())
    if not digits:
        raise ReferenceError("a KID needs digits to start from")
    check = luhn.calc_check_digit(digits) if algorithm == "MOD10" else _mod11_digit(digits)
    reference = digits + check
    validate_kid(reference, algorithm)
    return reference


def validate_kid(reference: str, algorithm: str = "MOD10") -> None:
    if not 2 <= len(reference) <= 25:
        raise ReferenceError("a KID has 2-25 characters")
    body, check = reference[:-1], reference[-1]
    if not body.isdigit() or not (check.isdigit() or (check == "-" and algorithm == "MOD11")):
        raise ReferenceError("a KID has digits only (MOD11 may end in '-')")
    expected = luhn.calc_check_digit(body) if algorithm == "MOD10" else _mod11_digit(body)
    if check != expected:
        raise ReferenceError(f"the KID check digit ({algorithm}) is wrong")


def valid_bankgiro(number: str) -> bool:
    digits = number.replace("-", "").replace(" ", "")
    return digits.isdigit() and len(digits) in (7, 8) and luhn.is_valid(digits)


def valid_plusgiro(number: str) -> bool:
    digits = number.replace("-", "").replace(" ", "")
    return digits.isdigit() and 2 <= len(digits) <= 8 and luhn.is_valid(digits)


def normalise(reference: str) -> str:
    """The form references are matched in: no spaces, upper case, no leading 'RF' spacing."""
    return "".join(reference.split()).upper()


def digits_of(values: Iterable[str]) -> str:
    return "".join(ch for value in values for ch in value if ch.isdigit())
