"""UBL 2.1 namespaces and the Peppol BIS 3.0 codes that give references their meaning."""

INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
EXT = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"

#: Prefixes used in XPaths reported to callers (the ones the official rules print).
XPATH_NS = {"inv": INVOICE, "cn": CREDIT_NOTE, "cac": CAC, "cbc": CBC}

#: AdditionalDocumentReference/DocumentTypeCode values with a meaning in BIS 3.0.
INVOICED_OBJECT_TYPE = "130"  #: BT-18 (and BT-128 on a line)
PROJECT_TYPE = "50"  #: BT-11 on a credit note (CreditNote has no ProjectReference)

#: PartyIdentification schemeID carrying the SEPA creditor identifier (BT-90).
SEPA = "SEPA"
