"""Namespaces of Svefaktura 1.0 (SFTI BasicInvoice on UBL 1.0 components)."""

SFTI = "urn:sfti:documents:BasicInvoice:1:0"
CAC = "urn:sfti:CommonAggregateComponents:1:0"
CBC = "urn:oasis:names:tc:ubl:CommonBasicComponents:1:0"
ENVELOPE = "urn:sfti:documents:ObjectEnvelope:1:0"

NSMAP = {None: SFTI, "cac": CAC, "cbc": CBC}
XPATH_NS = {"sfti": SFTI, "cac": CAC, "cbc": CBC}
