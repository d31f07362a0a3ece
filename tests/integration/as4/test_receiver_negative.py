"""Our receiving access point against messages that must be refused: built by our own sender and
then tampered with, each answered with the signed ebMS error the AS4 profile prescribes, and
nothing stored. A replay under a new MessageId of an SBDH already received is stored once."""

from __future__ import annotations

import gzip
import re
import uuid
from collections.abc import Callable

import pytest
from lxml import etree

from channels.peppol import as4_message, as4_receive, wssec
from channels.peppol.keys import load_identity
from channels.peppol.names import DS, EB, NS, WSSE, XENC
from formats.peppol.identifiers import BILLING_PROCESS, INVOICE_DOCUMENT_TYPE
from formats.peppol.sbdh import wrap
from formats.peppol.ubl_write import write
from tests.acceptance.conftest import auth
from tests.svefaktura_samples import invoice

pytestmark = pytest.mark.slow
BUYER, SELLER = "0007:5567321707", "0007:5560360793"


def _sbdh(instance_id: str | None = None, size_padding: int = 0) -> bytes:
    document = write(invoice())
    if size_padding:
        document = document.replace(b"<cbc:Note>", b"<cbc:Note>" + b"x" * size_padding, 1)
    return wrap(
        document,
        sender=SELLER,
        receiver=BUYER,
        document_type_id=INVOICE_DOCUMENT_TYPE,
        country_c1="SE",
        instance_id=instance_id or str(uuid.uuid4()),
    )


def _message(
    kit,
    *,
    seat: str = "POP000001",
    pki=None,
    sbdh: bytes | None = None,
    message_id: str | None = None,
):
    identity = load_identity(
        **{
            **kit.seat(seat),
            **(
                {
                    "key_file": str(pki / f"{seat}.key.pem"),
                    "cert_file": str(pki / f"{seat}.cert.pem"),
                }
                if pki
                else {}
            ),
        }
    )
    from cryptography import x509

    receiver_cert = x509.load_pem_x509_certificate((kit.pki / "POP000002.cert.pem").read_bytes())
    return as4_message.build(
        sbdh or _sbdh(),
        identity=identity,
        receiver_certificate=receiver_cert,
        receiver_seat="POP000002",
        message_id=message_id or f"{uuid.uuid4()}@test",
        sender=SELLER,
        receiver=BUYER,
        document_type=INVOICE_DOCUMENT_TYPE,
        process=BILLING_PROCESS,
    ), identity


def _split(outgoing) -> tuple[bytes, bytes, bytes]:
    """(head up to the SOAP part, the SOAP envelope, the rest) of a MIME message we built."""
    match = re.search(rb"(.*?\r\n\r\n)(<.*?Envelope>)(\r\n--.*)", outgoing.body, re.S)
    return match.group(1), match.group(2), match.group(3)


def _with_soap(outgoing, change: Callable[[etree._Element], None]) -> bytes:
    head, soap, rest = _split(outgoing)
    envelope = etree.fromstring(soap)
    change(envelope)
    return head + etree.tostring(envelope) + rest


async def _post(access_point, content_type: str, body: bytes) -> bytes:
    r = await access_point.post("/as4", data=body, headers={"Content-Type": content_type})
    assert r.status == 200
    return await r.read()


def _error_code(answer: bytes) -> str:
    root = etree.fromstring(answer)
    error = root.find(".//eb:Error", {"eb": EB})
    assert error is not None, answer[:500]
    return error.get("errorCode")


async def _nothing_stored(access_point) -> None:
    items = (await (await access_point.get("/v1/inbox", headers=auth(access_point.key))).json())[
        "items"
    ]
    assert items == []


def _resign(identity, envelope: etree._Element, keep: Callable[[etree._Element], bool]) -> None:
    """Drop some references from SignedInfo and sign it again: a validly signed message whose
    signature does not cover everything."""
    signature = envelope.find(f".//{{{DS}}}Signature")
    info = signature.find(f"{{{DS}}}SignedInfo")
    for ref in list(info.iterfind(f"{{{DS}}}Reference")):
        if not keep(ref):
            info.remove(ref)
    signature.find(f"{{{DS}}}SignatureValue").text = wssec.sign(info, identity.key)


async def test_a_changed_attachment_fails_decryption_with_ebms_0102(access_point, kit):
    outgoing, _ = _message(kit)
    head, soap, _ = _split(outgoing)
    position = len(head) + len(soap) + 200
    body = bytearray(outgoing.body)
    body[position] ^= 0xFF
    assert _error_code(await _post(access_point, outgoing.content_type, bytes(body))) == "EBMS:0102"
    await _nothing_stored(access_point)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda env: env.find(f".//{{{DS}}}SignatureValue").__setattr__(
            "text", "AAAA" + env.find(f".//{{{DS}}}SignatureValue").text[4:]
        ),
        lambda env: env.find(".//eb:ConversationId", NS).__setattr__(
            "text", "changed-after-signing"
        ),
        lambda env: env.find(".//eb:Property[@name='finalRecipient']", NS).__setattr__(
            "text", "0007:9999999999"
        ),
    ],
    ids=["signature-value", "conversation-id", "final-recipient"],
)
async def test_a_change_after_signing_fails_authentication_with_ebms_0101(
    access_point, kit, tamper
):
    outgoing, _ = _message(kit)
    answer = await _post(access_point, outgoing.content_type, _with_soap(outgoing, tamper))
    assert _error_code(answer) == "EBMS:0101"
    await _nothing_stored(access_point)


async def test_an_unsigned_message_is_a_policy_violation_ebms_0103(access_point, kit):
    outgoing, _ = _message(kit)

    def unsign(env):
        signature = env.find(f".//{{{DS}}}Signature")
        signature.getparent().remove(signature)

    assert (
        _error_code(await _post(access_point, outgoing.content_type, _with_soap(outgoing, unsign)))
        == "EBMS:0103"
    )
    await _nothing_stored(access_point)


async def test_an_unencrypted_message_is_a_policy_violation_ebms_0103(access_point, kit):
    outgoing, _ = _message(kit)

    def decrypt(env):
        for ed in env.findall(f".//{{{XENC}}}EncryptedData"):
            ed.getparent().remove(ed)

    assert (
        _error_code(await _post(access_point, outgoing.content_type, _with_soap(outgoing, decrypt)))
        == "EBMS:0103"
    )
    await _nothing_stored(access_point)


async def test_a_signature_that_does_not_cover_the_payload_is_refused(access_point, kit):
    outgoing, identity = _message(kit)
    body = _with_soap(
        outgoing,
        lambda env: _resign(
            identity, env, keep=lambda ref: not ref.get("URI", "").startswith("cid:")
        ),
    )
    answer = await _post(access_point, outgoing.content_type, body)
    assert _error_code(answer) == "EBMS:0101" and b"does not cover" in answer
    await _nothing_stored(access_point)


async def test_a_signer_outside_the_peppol_pki_is_refused(access_point, kit, foreign_pki):
    outgoing, _ = _message(kit, pki=foreign_pki)
    assert (
        _error_code(await _post(access_point, outgoing.content_type, outgoing.body)) == "EBMS:0101"
    )
    await _nothing_stored(access_point)


async def test_a_party_id_of_another_type_is_inconsistent_ebms_0003(access_point, kit):
    outgoing, _ = _message(kit)
    body = _with_soap(
        outgoing,
        lambda env: env.find(".//eb:From/eb:PartyId", NS).set(
            "type", "urn:oasis:names:tc:ebcore:partyid-type:unregistered"
        ),
    )
    assert _error_code(await _post(access_point, outgoing.content_type, body)) == "EBMS:0003"
    await _nothing_stored(access_point)


async def test_a_payload_that_decompresses_beyond_the_cap_is_refused_ebms_0303(
    access_point, kit, monkeypatch
):
    monkeypatch.setattr(as4_receive, "MAX_PAYLOAD", 50_000)
    outgoing, _ = _message(kit, sbdh=_sbdh(size_padding=200_000))
    assert len(gzip.compress(b"x" * 200_000)) < 50_000  # small on the wire, large when unpacked
    assert (
        _error_code(await _post(access_point, outgoing.content_type, outgoing.body)) == "EBMS:0303"
    )
    await _nothing_stored(access_point)


async def test_a_replayed_document_under_a_new_message_id_is_stored_once(access_point, kit):
    sbdh = _sbdh(instance_id=str(uuid.uuid4()))
    first, _ = _message(kit, sbdh=sbdh)
    again, _ = _message(kit, sbdh=sbdh)
    for outgoing in (first, again):
        answer = await _post(access_point, outgoing.content_type, outgoing.body)
        assert etree.fromstring(answer).find(".//eb:Receipt", {"eb": EB}) is not None
    items = (await (await access_point.get("/v1/inbox", headers=auth(access_point.key))).json())[
        "items"
    ]
    assert len(items) == 1 and items[0]["message_id"] == first.message_id


async def test_a_message_that_is_not_multipart_is_refused_ebms_0001(access_point):
    answer = await _post(
        access_point,
        "application/soap+xml",
        b"<S12:Envelope xmlns:S12='http://www.w3.org/2003/05/soap-envelope'/>",
    )
    assert _error_code(answer) == "EBMS:0001"
    assert (
        etree.fromstring(answer).find(f".//{{{WSSE}}}Security/{{{DS}}}Signature") is not None
    )  # signed like every signal
