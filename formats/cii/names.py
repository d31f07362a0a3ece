"""Namespaces of UN/CEFACT Cross Industry Invoice D16B as EN 16931 binds it."""

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"

NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}

#: AdditionalReferencedDocument type codes (UNTDID 1001) EN 16931 gives a meaning in CII.
TENDER_TYPE = "50"  #: BT-17 tender or lot reference
OBJECT_TYPE = "130"  #: BT-18 / BT-128 invoiced object identifier
SUPPORTING_TYPE = "916"  #: BG-24 additional supporting document
