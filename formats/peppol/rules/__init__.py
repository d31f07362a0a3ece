"""Native validation: the EN 16931 and Peppol BIS 3.0 (3.0.21) business rules in Python.

Rules run on the model and report the official rule id, its flag and message, and a JSON pointer
into the model (which is also the canonical JSON). For XML input the reader's location map turns
that pointer into an XPath into what the caller sent.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from enum import StrEnum


class Flag(StrEnum):
    """How serious a finding is (the Schematron ``flag``)."""

    FATAL = "fatal"  #: the document is invalid
    WARNING = "warning"  #: reported, never rejects


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule that fired."""

    rule: str  #: official id, e.g. "BR-CO-15", "PEPPOL-EN16931-R003"
    flag: Flag
    message: str
    path: str  #: JSON pointer into the model/canonical JSON, "" for the document
    location: str | None = None  #: XPath into the XML the caller sent, when it was XML

    @property
    def is_fatal(self) -> bool:
        return self.flag is Flag.FATAL


# --- the rule registry -------------------------------------------------------------------------
#
# Rule modules (en16931.py, peppol.py, national.py, …) each expose ``RULES: list[Rule]`` and, for
# checks only the XML syntax can express (empty elements, attributes, cardinality), ``XML_RULES``.
# A model rule yields the JSON pointers where it fails; an XML rule yields XPaths.

from collections.abc import Callable, Iterable  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

if TYPE_CHECKING:
    from formats.model import Invoice
    from formats.reading import ReadResult


@dataclass(frozen=True, slots=True)
class Rule:
    """A business rule: official id, flag, message and the test that finds violations."""

    id: str
    flag: Flag
    message: str
    test: Callable[[Invoice], Iterable[str]]  #: yields a JSON pointer per violation
    ruleset: str = "en16931"  #: "en16931" (CEN) or "peppol" (Peppol BIS and national rules)
    #: Where the rule can fire at all, as a Schematron rule's context: a German rule needs a
    #: German seller and buyer, a BR-E rule the category E. Shared by a group of rules and
    #: evaluated once per invoice; when it is false the group's tests are not run.
    context: Callable[[Invoice], bool] | None = None


@dataclass(frozen=True, slots=True)
class XmlRule:
    """A rule on the XML syntax itself; ``test`` yields an XPath per violation."""

    id: str
    flag: Flag
    message: str
    test: Callable[[Any], Iterable[str]]
    ruleset: str = "en16931"


def _modules() -> list[Any]:
    import importlib
    import pkgutil

    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            found.append(importlib.import_module(f"{__name__}.{info.name}"))
    return found


_REGISTRY: tuple[list[Rule], list[XmlRule]] | None = None


def registry() -> tuple[list[Rule], list[XmlRule]]:
    """All model rules and XML rules, loaded once."""
    global _REGISTRY
    if _REGISTRY is None:
        rules: list[Rule] = []
        xml_rules: list[XmlRule] = []
        from dataclasses import replace

        for module in _modules():
            ruleset = getattr(module, "RULESET", "en16931")
            rules.extend(replace(r, ruleset=ruleset) for r in getattr(module, "RULES", ()))
            xml_rules.extend(replace(r, ruleset=ruleset) for r in getattr(module, "XML_RULES", ()))
        _REGISTRY = (rules, xml_rules)
    return _REGISTRY


def check(source: ReadResult | Invoice, rulesets: Iterable[str] | None = None) -> list[Finding]:
    """Run every rule (or those of ``rulesets``); for a ReadResult the findings carry locations
    in the caller's input. XML rules run only when the caller sent UBL."""
    from formats.reading import ReadResult

    result = source if isinstance(source, ReadResult) else None
    invoice = result.invoice if result else source
    groups, xml_rules = _selected(None if rulesets is None else frozenset(rulesets))
    findings: list[Finding] = []
    applies: dict[Callable[[Invoice], bool], bool] = {}
    for context, group in groups:
        if context is not None:
            if context not in applies:
                applies[context] = _in_context(context, invoice)
            if not applies[context]:
                continue
        # Inline rather than a helper per rule: the loop runs some 350 rules per invoice.
        for rule in group:
            mark = len(findings)
            try:
                for pointer in rule.test(invoice):
                    location = result.locate(pointer) if result else None
                    findings.append(Finding(rule.id, rule.flag, rule.message, pointer, location))
            except Exception:
                del findings[mark:]
                findings.append(_not_evaluated(rule))
    if result is not None and result.root is not None and result.syntax == "ubl":
        for xml_rule in xml_rules:
            mark = len(findings)
            try:
                for xpath in xml_rule.test(result.root):
                    findings.append(
                        Finding(xml_rule.id, xml_rule.flag, xml_rule.message, "", xpath)
                    )
            except Exception:
                del findings[mark:]
                findings.append(_not_evaluated(xml_rule))
    return findings


#: Consecutive rules that share a context (a module's, or a group's within it).
RuleGroup = tuple["Callable[[Invoice], bool] | None", tuple[Rule, ...]]


@functools.cache
def _selected(rulesets: frozenset[str] | None) -> tuple[tuple[RuleGroup, ...], tuple[XmlRule, ...]]:
    """The rules of ``rulesets`` in registration order, in runs of one context each: the check
    asks a context once per run, not once per rule, and the findings keep their order."""
    rules, xml_rules = registry()
    chosen = [r for r in rules if rulesets is None or r.ruleset in rulesets]
    groups: list[RuleGroup] = []
    for rule in chosen:
        if groups and groups[-1][0] is rule.context:
            groups[-1] = (rule.context, (*groups[-1][1], rule))
        else:
            groups.append((rule.context, (rule,)))
    return tuple(groups), tuple(r for r in xml_rules if rulesets is None or r.ruleset in rulesets)


def _in_context(context: Callable[[Invoice], bool], invoice: Invoice) -> bool:
    try:
        return bool(context(invoice))
    except Exception:  # let the rules run: each reports for itself what it cannot evaluate
        return True


def _not_evaluated(rule: Rule | XmlRule) -> Finding:
    """A rule that trips over an unusual document is reported as a warning (and logged) instead
    of taking the whole validation, and the intake with it, down."""
    logging.getLogger("fakturaport.rules").exception(
        "rule could not be evaluated", extra={"rule": rule.id}
    )
    return Finding(
        rule.id,
        Flag.WARNING,
        f"{rule.message} (not evaluated: the rule failed on this document)",
        "",
    )
