"""``fakturaport validate FILE... [--json]``: the native EN 16931 and Peppol BIS 3.0 rules.

Exit 0 when every file is valid, 1 when any has a fatal finding, 2 for unreadable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from formats.convert import read_any
from formats.errors import FormatError
from formats.peppol.rules import Finding, check


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="validate invoices against the EN 16931 and Peppol rules")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--json", action="store_true", help="one JSON report object per file")
    p.set_defaults(func=run)


def _finding(f: Finding) -> dict[str, str | None]:
    return {
        "rule": f.rule,
        "flag": str(f.flag),
        "message": f.message,
        "pointer": f.path,
        "location": f.location,
    }


def run(args: argparse.Namespace) -> int:
    status = 0
    reports = []
    for path in args.files:
        report: dict = {"file": str(path)}
        try:
            result = read_any(path.read_bytes())
        except OSError as exc:
            report.update(valid=False, error=f"cannot read: {exc.strerror}")
            status = 2
        except FormatError as exc:
            report.update(valid=False, error=str(exc), location=exc.location)
            status = 2
        else:
            findings = check(result)
            fatal = [f for f in findings if f.is_fatal]
            report.update(
                valid=not fatal,
                syntax=result.syntax,
                fatal=len(fatal),
                warnings=len(findings) - len(fatal),
                findings=[_finding(f) for f in findings],
            )
            if fatal and status == 0:
                status = 1
        reports.append(report)
        if not args.json:
            _print_human(report)
    if args.json:
        json.dump(
            reports if len(reports) > 1 else reports[0], sys.stdout, indent=2, ensure_ascii=False
        )
        print()
    return status


def _print_human(report: dict) -> None:
    name = report["file"]
    if "error" in report:
        print(f"UNREADABLE  {name}: {report['error']}")
        return
    verdict = "VALID  " if report["valid"] else "INVALID"
    print(
        f"{verdict}  {name}  [{report['syntax']}]  {report['fatal']} fatal, {report['warnings']} warning"
    )
    for f in report["findings"]:
        where = f["location"] or f["pointer"] or "/"
        print(f"    {f['flag']:<8}{f['rule']:<28}{where}")
        print(f"            {f['message']}")
