"""CII D16B against the official CEN EN 16931 rules: the CEN examples round-trip and stay valid."""

from __future__ import annotations

import pytest

from formats.cii import read, write, write_with_report
from formats.model import complete
from tests.svefaktura_samples import ALL


@pytest.fixture(scope="module")
def cen_oracle(oracle):
    return type(oracle)("en16931")


def test_cen_examples_round_trip_and_stay_valid(cen_oracle, conformance_dir):
    checked = excluded = 0
    for path in sorted((conformance_dir / "en16931" / "cii" / "examples").glob("*.xml")):
        original = path.read_bytes()
        if not cen_oracle.validate_bytes(original, name=path.name).valid:
            excluded += 1
            continue
        first = read(original)
        ours = write(first.invoice)
        report = cen_oracle.validate_bytes(ours, name=f"ours-{path.name}")
        assert report.valid, f"{path.name}\n{report.to_text()}"
        assert read(ours).invoice == complete(first.invoice), path.name
        assert not first.dropped, (path.name, first.dropped)
        checked += 1
    print(f"\nCEN CII examples: {checked} round-tripped and valid, {excluded} invalid upstream")
    assert checked >= 10


@pytest.mark.parametrize("name", sorted(ALL))
def test_model_invoices_become_valid_cii(cen_oracle, name):
    written = write_with_report(ALL[name]())
    report = cen_oracle.validate_bytes(written.content, name=f"{name}.xml")
    assert report.valid, report.to_text()


def test_peppol_examples_convert_to_valid_cii(cen_oracle, conformance_dir):
    ubl_read = pytest.importorskip("formats.peppol.ubl_read", reason="the UBL reader is not built")
    folder = conformance_dir / "peppol-bis-invoice-3-3.0.21" / "examples"
    converted = 0
    for path in sorted(folder.glob("*.xml")):
        written = write_with_report(ubl_read.read(path.read_bytes()).invoice)
        report = cen_oracle.validate_bytes(written.content, name=f"cii-{path.name}")
        assert report.valid, f"{path.name}\n{report.to_text()}"
        converted += 1
    print(f"\nPeppol examples → CII: {converted} valid")
