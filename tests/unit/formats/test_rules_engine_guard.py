"""A rule that raises on an unusual document becomes a warning with its id, not a crash."""

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
    findings = check(invoice())
    (guard,) = [f for f in findings if f.rule == "XX-R-001"]
    assert guard.flag is Flag.WARNING and "not evaluated" in guard.message
