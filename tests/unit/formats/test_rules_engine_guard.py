"""A rule that raises on an unusual document becomes a warning with its id, not a crash."""

from decimal import Decimal

from formats.peppol import rules
from formats.peppol.rules import Flag, Rule, check
from tests.svefaktura_samples import invoice


def test_a_failing_rule_is_reported_not_raised(monkeypatch):
    def broken(inv):
        raise AttributeError("unexpected shape")
        yield ""  # pragma: no cover

    model, xml = rules.registry()
    monkeypatch.setattr(
        rules, "_REGISTRY", ([*model, Rule("XX-R-001", Flag.FATAL, "[XX-R-001]-test", broken)], xml)
    )
    rules._selected.cache_clear()  # the selections are cached: made again with the rule
    try:
        findings = check(invoice())
    finally:
        monkeypatch.undo()
        rules._selected.cache_clear()
    (guard,) = [f for f in findings if f.rule == "XX-R-001"]
    assert guard.flag is Flag.WARNING and "not evaluated" in guard.message


def test_a_comment_in_the_xml_does_not_stop_a_rule():
    """PEPPOL-EN16931-R051 looks at a TaxTotal's children: a comment among them is no element."""
    from dataclasses import replace

    from formats.convert import read_any
    from formats.peppol.ubl_write import write

    base = invoice()
    source = replace(
        base,
        tax_currency="EUR",
        totals=replace(base.totals, vat_total_tax_currency=Decimal("135.80")),
    )
    xml = write(source).replace(b"<cac:TaxTotal>", b"<cac:TaxTotal><!-- VAT -->")
    assert xml.count(b"<!-- VAT -->") == 2
    findings = check(read_any(xml))
    assert not [f for f in findings if "not evaluated" in f.message]


def test_facts_shared_by_rules_are_kept_for_one_invoice_at_a_time():
    import threading
    from dataclasses import replace

    from formats.peppol.rules._helpers import PerInvoice

    computed = []
    numbers = PerInvoice(lambda inv: computed.append(inv.number) or inv.number)
    first, second = invoice(), replace(invoice(), number="2")
    assert [numbers(first), numbers(first), numbers(second), numbers(first)] == [
        first.number,
        first.number,
        "2",
        first.number,
    ]
    assert computed == [first.number, "2", first.number]
    elsewhere = threading.Thread(target=numbers, args=(first,))
    elsewhere.start()
    elsewhere.join()
    assert len(computed) == 4  # another thread keeps its own
