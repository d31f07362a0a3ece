"""Parties of an invoice: seller (BG-4), buyer (BG-7), payee (BG-10), tax representative (BG-11)."""

from __future__ import annotations

from dataclasses import dataclass

from ._terms import required, term

_model = dataclass(frozen=True, kw_only=True, slots=True)


@_model
class Identifier:
    """An identifier with its optional scheme (ISO 6523 ICD, EAS code, or a free scheme)."""

    value: str = required("", "The identifier itself")
    scheme: str | None = term("", "Scheme identifier (ICD/EAS code) of the identifier")


@_model
class Address:
    """A postal address (BG-5, BG-8, BG-12, BG-15)."""

    line1: str | None = term("BT-35", "Address line 1 (street and number)")
    line2: str | None = term("BT-36", "Address line 2")
    line3: str | None = term("BT-162", "Address line 3")
    city: str | None = term("BT-37", "City")
    post_code: str | None = term("BT-38", "Post code")
    subdivision: str | None = term("BT-39", "Country subdivision (region, county)")
    country_code: str | None = term("BT-40", "Country code, ISO 3166-1 alpha-2")


@_model
class Contact:
    """A contact point (BG-6, BG-9)."""

    name: str | None = term("BT-41", "Contact person or department")
    phone: str | None = term("BT-42", "Telephone number")
    email: str | None = term("BT-43", "Email address")


@_model
class Party:
    """Seller (BG-4) or buyer (BG-7). The BT ids given are the seller's; the buyer's are BT-44…BT-58."""

    name: str | None = term("BT-27", "Legal name (seller BT-27, buyer BT-44)")
    trading_name: str | None = term("BT-28", "Trading name (seller BT-28, buyer BT-45)")
    identifiers: tuple[Identifier, ...] = term(
        "BT-29", "Party identifiers, e.g. GLN (seller BT-29, buyer BT-46)", factory=tuple
    )
    legal_registration_id: Identifier | None = term(
        "BT-30",
        "Legal registration identifier, e.g. organisation number (seller BT-30, buyer BT-47)",
    )
    vat_id: str | None = term(
        "BT-31", "VAT identifier with country prefix (seller BT-31, buyer BT-48)"
    )
    tax_registration_id: str | None = term(
        "BT-32",
        "Local tax registration, e.g. 'Godkänd för F-skatt' in Sweden (seller only, BT-32)",
    )
    legal_form: str | None = term(
        "BT-33", "Additional legal information, e.g. share capital, F-skatt (seller only, BT-33)"
    )
    electronic_address: Identifier | None = term(
        "BT-34",
        "Electronic address with EAS scheme, e.g. 0007:5567321707 (seller BT-34, buyer BT-49)",
    )
    address: Address | None = term("BG-5", "Postal address (seller BG-5, buyer BG-8)")
    contact: Contact | None = term("BG-6", "Contact (seller BG-6, buyer BG-9)")


@_model
class Payee:
    """The party receiving payment when it is not the seller (BG-10)."""

    name: str = required("BT-59", "Payee name")
    identifier: Identifier | None = term("BT-60", "Payee identifier")
    legal_registration_id: Identifier | None = term("BT-61", "Payee legal registration identifier")


@_model
class TaxRepresentative:
    """The seller's tax representative (BG-11)."""

    name: str = required("BT-62", "Tax representative name")
    vat_id: str | None = term("BT-63", "Tax representative VAT identifier")
    address: Address | None = term("BG-12", "Tax representative postal address")
