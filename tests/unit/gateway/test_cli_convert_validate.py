"""The convert and validate commands, run as a user runs them (a subprocess)."""

import json
import subprocess
import sys

import pytest

from formats.peppol.ubl_write import write
from tests.svefaktura_samples import invoice


def fakturaport(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args], input=stdin, capture_output=True, timeout=60
    )


@pytest.fixture
def ubl_file(tmp_path):
    path = tmp_path / "invoice.xml"
    path.write_bytes(write(invoice()))
    return path


def test_convert_to_json_and_back_to_peppol(ubl_file, tmp_path):
    out = fakturaport("convert", str(ubl_file), "--to", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["number"] == "2026-1001"
    json_file = tmp_path / "invoice.json"
    json_file.write_bytes(out.stdout)
    back = fakturaport(
        "convert", str(json_file), "--to", "peppol", "-o", str(tmp_path / "back.xml")
    )
    assert back.returncode == 0, back.stderr
    assert (tmp_path / "back.xml").read_bytes() == ubl_file.read_bytes()


def test_convert_reports_dropped_terms_on_stderr(tmp_path):
    path = tmp_path / "i.xml"
    path.write_bytes(write(invoice(buyer_accounting_reference="4025:123")))
    out = fakturaport("convert", str(path), "--to", "svefaktura")
    assert out.returncode == 0
    assert b"dropped: BT-19" in out.stderr


def test_convert_unreadable_input_exits_2(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>")
    out = fakturaport("convert", str(bad), "--to", "json")
    assert out.returncode == 2 and b"DOCTYPE" in out.stderr
    assert fakturaport("convert", str(tmp_path / "missing.xml"), "--to", "json").returncode == 2


def test_validate_exit_codes_and_json_report(ubl_file, tmp_path):
    good = fakturaport("validate", str(ubl_file), "--json")
    report = json.loads(good.stdout)
    assert report["syntax"] == "ubl"
    assert good.returncode == (0 if report["valid"] else 1)
    junk = tmp_path / "junk.txt"
    junk.write_bytes(b"hello")
    assert fakturaport("validate", str(junk)).returncode == 2
    assert fakturaport("validate").returncode == 2  # usage
