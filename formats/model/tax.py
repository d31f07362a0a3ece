"""VAT: categories (UNCL5305 subset used by EN 16931) and the VAT breakdown (BG-23)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from ._terms import required, term


class VatCategory(StrEnum):
    """VAT category codes allowed by EN 16931 (UNCL5305 subset)."""

    STANDARD = "S"  #: standard or reduced rate
    ZERO = "Z"  #: zero rated goods
    EXEMPT = "E"  #: exempt from tax (needs an exemption reason)
    REVERSE_CHARGE = "AE"  #: VAT reverse charge; buyer accounts for VAT
    INTRA_COMMUNITY = "K"  #: intra-community supply, no VAT charged
    EXPORT = "G"  #: free export item, VAT not charged
    NOT_SUBJECT = "O"  #: services outside scope of tax
    CANARY_ISLANDS = "L"  #: Canary Islands general indirect tax (IGIC)
    CEUTA_MELILLA = "M"  #: tax for production, services and importation in Ceuta and Melilla

    @property
    def carries_tax(self) -> bool:
        """Whether this category charges tax at a positive rate (S, L, M)."""
        return self in (VatCategory.STANDARD, VatCategory.CANARY_ISLANDS, VatCategory.CEUTA_MELILLA)

    @property
    def default_exemption_code(self) -> str | None:
        """The VATEX code EN 16931 implies when the caller gives no reason (None: must be given)."""
        return _DEFAULT_EXEMPTION.get(self)


_DEFAULT_EXEMPTION = {
    VatCategory.REVERSE_CHARGE: "VATEX-EU-AE",
    VatCategory.INTRA_COMMUNITY: "VATEX-EU-IC",
    VatCategory.EXPORT: "VATEX-EU-G",
    VatCategory.NOT_SUBJECT: "VATEX-EU-O",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class VatBreakdown:
    """One VAT breakdown row (BG-23): the totals of one category and rate."""

    taxable_amount: Decimal | None = required("BT-116", "VAT category taxable amount")
    tax_amount: Decimal | None = required("BT-117", "VAT category tax amount")
    category: str | None = required(
        "BT-118", "VAT category code (UNCL5305: S, Z, E, AE, K, G, O, L, M)"
    )
    rate: Decimal | None = term("BT-119", "VAT category rate in percent")
    exemption_reason: str | None = term("BT-120", "VAT exemption reason text")
    exemption_reason_code: str | None = term("BT-121", "VAT exemption reason code (VATEX)")
    tax_scheme: str = term("", "Tax scheme identifier (UBL cac:TaxScheme/cbc:ID)", default="VAT")
