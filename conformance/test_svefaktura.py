"""Svefaktura 1.0 against the official SFTI XSD and rules (the oracle's --svefaktura mode)."""

from __future__ import annotations

import pytest

from formats.svefaktura import read, write, write_with_report
from tests.svefaktura_samples import ALL


def _sfti_samples(conformance_dir):
    return sorted((conformance_dir / "svefaktura-1.0" / "examples").glob("svefaktura*.xml"))


def test_official_samples_round_trip_and_stay_valid(oracle, conformance_dir):
    checked = skipped = 0
    for path in _sfti_samples(conformance_dir):
        original = path.read_bytes()
        if not oracle.validate_bytes(original, name=path.name).valid:
            skipped += 1  # an official sample the official rules reject: nothing to preserve
            continue
        first = read(original).invoice
        ours = write(first)
        report = oracle.validate_bytes(ours, name=f"ours-{path.name}")
        assert report.valid, report.to_text()
        assert read(ours).invoice == first, path.name
        checked += 1
    print(f"\nSvefaktura samples: {checked} round-tripped and valid, {skipped} invalid upstream")
    assert checked >= 4


@pytest.mark.parametrize("name", sorted(ALL))
def test_model_invoices_become_valid_svefaktura(oracle, name):
    written = write_with_report(ALL[name]())
    report = oracle.validate_bytes(written.content, name=f"{name}.xml")
    assert report.valid, report.to_text()


def test_peppol_examples_convert_to_valid_svefaktura(oracle, conformance_dir):
    ubl_read = pytest.importorskip("formats.peppol.ubl_read", reason="the UBL reader is not built")
    folder = conformance_dir / "peppol-bis-invoice-3-3.0.21" / "examples"
    converted = refused = 0
    for path in sorted(folder.glob("*.xml")):
        invoice = ubl_read.read(path.read_bytes()).invoice
        try:
            written = write_with_report(invoice)
        except Exception as exc:  # a fail-closed refusal must name a business term
            assert "BT-" in str(exc) or "BG-" in str(exc), (path.name, exc)
            refused += 1
            continue
        report = oracle.validate_bytes(written.content, name=f"sfti-{path.name}")
        assert report.valid, f"{path.name}\n{report.to_text()}"
        converted += 1
    print(f"\nPeppol examples → Svefaktura: {converted} valid, {refused} refused with a reason")
    assert converted >= 1
