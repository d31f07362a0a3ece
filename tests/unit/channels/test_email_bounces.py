from pathlib import Path

from channels.email_bounces import parse_bounce

DELIVERY = "0123456789abcdef0123456789abcdef"
VERP = f"bounces+{DELIVERY}@bounce.example"


def _dsn(status: str, action: str) -> bytes:
    return (
        f"To: {VERP}\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=X\r\n\r\n"
        "--X\r\nContent-Type: text/plain\r\n\r\nreport\r\n"
        "--X\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        f"Final-Recipient: rfc822; a@b.example\r\nAction: {action}\r\nStatus: {status}\r\n"
        "Diagnostic-Code: smtp; 550 no such user\r\n--X--\r\n"
    ).encode()


def test_rfc3464_failure_names_the_delivery():
    bounce = parse_bounce(_dsn("5.1.1", "failed"))
    assert bounce.delivery_id == DELIVERY and bounce.permanent and bounce.status == "5.1.1"
    assert bounce.recipient == "a@b.example"


def test_delays_and_success_reports_are_not_failures():
    assert parse_bounce(_dsn("4.4.1", "delayed")) is None
    assert parse_bounce(_dsn("2.0.0", "delivered")) is None


def test_non_standard_bounce_text_is_recognised():
    raw = f"To: {VERP}\r\nSubject: Undeliverable\r\n\r\nYour message could not be delivered: mailbox unavailable (550).\r\n".encode()
    bounce = parse_bounce(raw)
    assert bounce is not None and bounce.permanent


def test_mail_that_is_not_about_our_deliveries_is_ignored():
    assert parse_bounce(b"To: someone@example.com\r\n\r\nhello") is None
    assert parse_bounce(f"To: {VERP}\r\n\r\nThanks for the invoice!".encode()) is None


DATA = Path(__file__).resolve().parents[2] / "data" / "bounces"
MESSAGE = "3f1c9a0e-7d2b-4a51-9f0e-5b8d2c1a6e40"


def sample(name: str) -> bytes:
    return (
        (DATA / name)
        .read_bytes()
        .replace(b"{DELIVERY}", DELIVERY.encode())
        .replace(b"{MSGID}", MESSAGE.encode())
    )


def test_an_exchange_ndr_is_a_permanent_failure_of_our_delivery():
    bounce = parse_bounce(sample("exchange.eml"))
    assert bounce.delivery_id == DELIVERY and bounce.permanent and bounce.status == "5.1.10"
    assert bounce.recipient == "faktura@byggvaror.se"


def test_a_gmail_dsn_is_found_through_delivered_to():
    bounce = parse_bounce(sample("gmail.eml"))
    assert bounce.delivery_id == DELIVERY and bounce.permanent and bounce.status == "5.1.1"


def test_a_qmail_bounce_without_verp_is_matched_by_the_quoted_message_id():
    bounce = parse_bounce(sample("qmail.eml"))
    assert bounce.delivery_id is None and bounce.original_message_id == MESSAGE
    assert bounce.permanent and "no mailbox here" in bounce.diagnostic
