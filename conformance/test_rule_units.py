"""The official rule unit tests, run through the native validator (VEFA testSet semantics).

Each test document is read by our UBL reader and checked by the native rules of the test's rule
set (CEN EN 16931, or Peppol BIS with national rules). Within the declared scope, a <success>
rule must not fire and an <error>/<warning> rule must fire with that flag. The agreement per
rule set is printed with every disagreement; the floors below only ever go up.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from formats.errors import FormatError
from formats.peppol.rules import check, registry
from formats.peppol.ubl_read import read

VEFA = "http://difi.no/xsd/vefa/validator/1.0"
SETS = {
    "en16931": ["en16931/test/Invoice-unit-UBL", "en16931/test/CreditNote-unit-UBL"],
    "peppol": ["peppol-bis-invoice-3/rules/unit-UBL-*"],
}
#: agreement floors (tests passing); raise them as rules land, never lower them
FLOORS = {"en16931": 1104, "peppol": 508}


def _configuration_set(configuration: str | None) -> str | None:
    if not configuration:
        return None
    if configuration.startswith("tc434-ubl"):
        return "en16931"
    if configuration.startswith("peppolbis-en16931-base-3.0-ubl"):
        return "peppol"
    if configuration.startswith("peppolbis-en16931-01-3.0-ubl"):
        return "both"
    return None


def _expectation(assert_el, inherited):
    exp = {
        "scope": set(inherited["scope"]),
        "success": set(inherited["success"]),
        "counts": {"fatal": Counter(inherited["error"]), "warning": Counter(inherited["warning"])},
    }
    if assert_el is None:
        return exp
    for el in assert_el:
        if not isinstance(el.tag, str):
            continue
        tag, val = etree.QName(el).localname, (el.text or "").strip()
        n = int(el.get("number", "1"))
        if tag == "scope":
            exp["scope"].add(val)
        elif tag == "success":
            exp["success"].add(val)
        elif tag in ("error", "fatal"):
            exp["counts"]["fatal"][val] += n
        elif tag == "warning":
            exp["counts"]["warning"][val] += n
    return exp


def _problems(fired: list[tuple[str, str]], exp) -> list[str]:
    if exp["scope"]:
        fired = [(i, f) for i, f in fired if i in exp["scope"]]
    remaining = {flag: dict(rules) for flag, rules in exp["counts"].items()}
    problems = []
    for rule, flag in fired:
        if rule in exp["success"]:
            problems.append(f"{rule} fired ({flag}) but expected success")
        elif remaining.get(flag, {}).get(rule, 0) > 0:
            remaining[flag][rule] -= 1
        else:
            problems.append(f"unexpected {flag} {rule}")
    for flag, rules in remaining.items():
        problems += [f"{rule} ({flag}) not fired" for rule, n in rules.items() if n > 0]
    return problems


def run_set(conformance_dir: Path, name: str) -> tuple[int, int, list[str]]:
    files = sorted(
        f
        for pattern in SETS[name]
        for d in conformance_dir.glob(pattern)
        for f in d.iterdir()
        if f.is_file()
    )
    passed = total = 0
    failures = []
    for f in files:
        try:
            test_set = etree.parse(str(f)).getroot()
        except etree.XMLSyntaxError:
            continue  # a test set that is commented out upstream
        if etree.QName(test_set).localname != "testSet":
            continue
        inherited = {"scope": [], "success": [], "error": [], "warning": []}
        top = test_set.find(f"{{{VEFA}}}assert")
        for el in top if top is not None else ():
            if isinstance(el.tag, str) and etree.QName(el).localname in inherited:
                inherited[etree.QName(el).localname] += [(el.text or "").strip()] * int(
                    el.get("number", "1")
                )
        for i, test in enumerate(test_set.findall(f"{{{VEFA}}}test"), 1):
            kind = _configuration_set(test.get("configuration") or test_set.get("configuration"))
            docs = [c for c in test if isinstance(c.tag, str) and etree.QName(c).namespace != VEFA]
            if kind is None or len(docs) != 1:
                continue
            rulesets = {"en16931", "peppol"} if kind == "both" else {kind}
            document = etree.fromstring(etree.tostring(docs[0]))
            try:
                findings = check(read(document), rulesets=rulesets)
                fired = [(x.rule, str(x.flag)) for x in findings]
            except Exception as exc:  # the reader refusing a test document counts as a disagreement
                fired = [("READ-ERROR", type(exc).__name__)]
            total += 1
            problems = _problems(fired, _expectation(test.find(f"{{{VEFA}}}assert"), inherited))
            if problems:
                failures.append(f"{f.name} #{i}: {'; '.join(problems)}")
            else:
                passed += 1
    return passed, total, failures


@pytest.mark.parametrize("name", sorted(SETS))
def test_native_rules_agree_with_the_official_unit_tests(conformance_dir, name):
    passed, total, failures = run_set(conformance_dir, name)
    print(
        f"\nnative {name} rules vs official unit tests: {passed}/{total} agree ({100 * passed / max(total, 1):.1f}%)"
    )
    for failure in failures:
        print(f"  DISAGREE {failure}")
    assert passed >= FLOORS[name], f"agreement fell below the floor {FLOORS[name]}"


def test_rule_contexts_hide_no_finding(conformance_dir):
    """A rule's context may skip it only where the rule itself would find nothing: on every
    official test document, each rule whose context is false fires nothing when run anyway."""
    rules, _ = registry()
    checked = 0
    for pattern in (p for patterns in SETS.values() for p in patterns):
        for directory in conformance_dir.glob(pattern):
            for f in sorted(directory.iterdir()):
                try:
                    test_set = etree.parse(str(f)).getroot()
                except etree.XMLSyntaxError:
                    continue
                for test in test_set.iter(f"{{{VEFA}}}test"):
                    for doc in (c for c in test if isinstance(c.tag, str)):
                        if etree.QName(doc).namespace == VEFA:
                            continue
                        try:
                            invoice = read(etree.fromstring(etree.tostring(doc))).invoice
                        except FormatError:
                            continue  # documents the reader refuses never reach the rules
                        for rule in rules:
                            if rule.context is None or rule.context(invoice):
                                continue
                            hidden = _fires_anyway(rule, invoice)
                            assert not hidden, f"{f.name}: {rule.id} skipped but fires {hidden}"
                        checked += 1
    assert checked > 1000
    print(f"\nrule contexts checked on {checked} official test documents")


def _fires_anyway(rule, invoice) -> list[str]:
    try:
        return list(rule.test(invoice))
    except Exception:  # a rule failing on the document is reported as such, context or not
        return []
