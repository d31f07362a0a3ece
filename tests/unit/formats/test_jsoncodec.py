import json
from decimal import Decimal

import pytest
from hypothesis import given, settings

from formats import jsoncodec, jsonschema
from formats.errors import MalformedDocument
from tests.strategies import invoices
from tests.svefaktura_samples import ALL, invoice


@pytest.mark.parametrize("name", sorted(ALL))
def test_model_json_round_trip(name):
    source = ALL[name]()
    assert jsoncodec.loads(jsoncodec.dumps(source)) == source


def test_amounts_are_strings_out_and_decimal_in_never_float():
    obj = json.loads(jsoncodec.dumps(invoice()))
    assert obj["totals"]["payable"] == "7760.40"
    obj["lines"][0]["quantity"] = 0.1  # a JSON number: parsed straight to Decimal
    obj["lines"][0]["price"]["net"] = 1
    parsed = jsoncodec.loads(json.dumps(obj))
    assert parsed.lines[0].quantity == Decimal("0.1")
    assert parsed.lines[0].price.net == Decimal(1)


@pytest.mark.parametrize(
    ("mutate", "pointer", "message"),
    [
        (lambda o: o["lines"][1].update(quantity="twelve"), "/lines/1/quantity", "not a decimal"),
        (lambda o: o.update(issue_date="23/11/2026"), "/issue_date", "not a date"),
        (lambda o: o["seller"].update(nickname="x"), "/seller/nickname", "unknown field"),
        (lambda o: o.update(lines={"id": 1}), "/lines", "array"),
        (lambda o: o.update(kind="receipt"), "/kind", "not one of"),
        (lambda o: o["lines"][0].update(quantity=True), "/lines/0/quantity", "boolean"),
        (lambda o: o.update(number=42), "/number", "expected a string"),
        (lambda o: o.update(seller="Acme"), "/seller", "expected a JSON object"),
        (lambda o: o["lines"][1]["item"].update({"a/b~c": 1}), "/lines/1/item/a~1b~0c", "unknown"),
        (lambda o: o["buyer"].update(name="A\x01B"), "/buyer/name", "U+0001"),
        (lambda o: o["buyer"].update(name="A\ufffeB"), "/buyer/name", "U+FFFE"),
        (lambda o: o["buyer"].update(name="A\ud800B"), "/buyer/name", "U+D800"),
        (lambda o: o["buyer"].update(name="two\nlines\ttabbed\u00a0nbsp"), None, None),  # allowed
    ],
)
def test_errors_name_the_json_pointer(mutate, pointer, message):
    obj = json.loads(jsoncodec.dumps(invoice()))
    mutate(obj)
    if pointer is None:
        jsoncodec.loads(json.dumps(obj))
        return
    with pytest.raises(MalformedDocument) as err:
        jsoncodec.loads(json.dumps(obj))
    assert err.value.location == pointer
    assert message in str(err.value)


@pytest.mark.parametrize("text", [b"{", b"[1, 2]", b'{"number": NaN}', b"\xff\xfe"])
def test_not_json_or_not_an_object(text):
    with pytest.raises(MalformedDocument):
        jsoncodec.read(text)


def test_deep_nesting_is_refused_cleanly():
    with pytest.raises(MalformedDocument):
        jsoncodec.read(b"[" * 100000 + b"]" * 100000)


def test_committed_schema_is_reproducible():
    assert jsonschema.committed() == jsonschema.dumps(), (
        "run: python -m formats.jsonschema > formats/schema/invoice.schema.json"
    )


def test_schema_describes_every_field_with_its_business_term():
    schema = jsonschema.generate()
    assert schema["properties"]["number"]["description"] == "BT-1 Invoice number"
    assert schema["$defs"]["Line"]["properties"]["net_amount"]["description"].startswith("BT-131 ")
    for name, definition in schema["$defs"].items():
        for prop, spec in definition["properties"].items():
            assert spec["description"], f"{name}.{prop} lacks a description"


def _model_classes() -> list[type]:
    import dataclasses

    from formats.jsoncodec import field_kinds

    found, todo = [], [jsoncodec.Invoice]
    while todo:
        cls = todo.pop()
        if cls not in found:
            found.append(cls)
            todo.extend(k.base for k in field_kinds(cls) if dataclasses.is_dataclass(k.base))
    return found


@pytest.mark.parametrize("cls", _model_classes(), ids=lambda c: c.__name__)
def test_each_class_decodes_to_what_its_constructor_makes(cls):
    """The generated decoders fill the slots themselves: an empty object gets every default
    (factories included), and the object compares, hashes and prints as the constructor's."""
    decoded = jsoncodec.from_dict({}, cls)
    assert decoded == cls()
    assert repr(decoded) == repr(cls())
    assert type(decoded) is cls


@settings(max_examples=60, deadline=None)
@given(invoices())
def test_generated_invoices_survive_the_round_trip(source):
    decoded = jsoncodec.loads(jsoncodec.dumps(source))
    assert decoded == source
    assert repr(decoded) == repr(source)


def test_a_decoded_invoice_stays_frozen():
    import dataclasses

    decoded = jsoncodec.loads(jsoncodec.dumps(invoice()))
    with pytest.raises(dataclasses.FrozenInstanceError):
        decoded.number = "changed"
