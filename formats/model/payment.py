"""Payment instructions (BG-16) and payment terms (BT-20)."""

from __future__ import annotations

from dataclasses import dataclass

from ._terms import required, term

_model = dataclass(frozen=True, kw_only=True, slots=True)

#: FinancialInstitutionBranch ids that mark a Swedish giro account in Peppol BIS (SE national rules).
BANKGIRO = "SE:BANKGIRO"
PLUSGIRO = "SE:PLUSGIRO"


@_model
class FinancialAccount:
    """An account to pay into by credit transfer (BG-17).

    IBAN or a national account number; Swedish Bankgiro and Plusgiro numbers are accounts whose
    ``service_provider_id`` is ``SE:BANKGIRO`` / ``SE:PLUSGIRO`` (the SE rules of Peppol BIS 3.0).
    """

    id: str | None = required("BT-84", "Payment account identifier (IBAN, Bankgiro, Plusgiro, …)")
    name: str | None = term("BT-85", "Payment account name")
    service_provider_id: str | None = term(
        "BT-86", "Payment service provider identifier (BIC, or SE:BANKGIRO / SE:PLUSGIRO)"
    )

    @property
    def is_bankgiro(self) -> bool:
        return self.service_provider_id == BANKGIRO

    @property
    def is_plusgiro(self) -> bool:
        return self.service_provider_id == PLUSGIRO


@_model
class PaymentCard:
    """Card payment information (BG-18)."""

    primary_account_number: str | None = required(
        "BT-87", "Payment card primary account number (only the last 4–6 digits)"
    )
    holder_name: str | None = term("BT-88", "Payment card holder name")
    network_id: str | None = term("", "Card network (UBL cbc:NetworkID, e.g. VISA)")


@_model
class DirectDebit:
    """Direct debit information (BG-19)."""

    mandate_reference: str | None = term("BT-89", "Mandate reference identifier")
    creditor_id: str | None = term("BT-90", "Bank assigned creditor identifier")
    debited_account_id: str | None = term("BT-91", "Debited account identifier")


@_model
class PaymentMeans:
    """One way the buyer may pay (BG-16); Peppol allows several on one invoice."""

    type_code: str | None = required(
        "BT-81", "Payment means type code (UNCL4461, e.g. 30, 31, 58, 59)"
    )
    text: str | None = term("BT-82", "Payment means text")
    remittance_information: str | None = term(
        "BT-83", "Remittance information: the payment reference (OCR, KID, RF creditor reference)"
    )
    account: FinancialAccount | None = term("BG-17", "Credit transfer account")
    card: PaymentCard | None = term("BG-18", "Payment card information")
    direct_debit: DirectDebit | None = term("BG-19", "Direct debit information")
