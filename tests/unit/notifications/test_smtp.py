"""The SMTP sender against a small SMTP server on 127.0.0.1 started by the test."""

import pytest

from notifications.channels import DeliveryFailed, SmtpEmail, senders_from_config
from tests.support.smtp_standin import SmtpStandIn


@pytest.fixture
def smtp():
    server = SmtpStandIn(refuse=["nobody@x.io"])
    yield server
    server.close()


def test_smtp_sends_and_refused_addresses_fail_for_good(smtp):
    sender = senders_from_config(
        {"EMAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port, "FROM_EMAIL": "from@x.io"}
    )["email"]
    assert isinstance(sender, SmtpEmail)
    sender.send("to@x.io", "Hello", "Body text", reference="n-1")
    recipients, message = smtp.messages[0]
    assert recipients == ["to@x.io"] and message["Subject"] == "Hello" and message["X-Notification-Id"] == "n-1"
    assert message.get_payload().strip() == "Body text"
    with pytest.raises(DeliveryFailed) as refused:
        sender.send("nobody@x.io", "Hello", "Body")
    assert refused.value.permanent
    smtp.close()
    with pytest.raises(DeliveryFailed) as down:
        sender.send("to@x.io", "Hello", "Body")
    assert not down.value.permanent


def test_smtp_sends_the_text_and_html_as_alternatives_with_the_unsubscribe_headers(smtp):
    sender = senders_from_config({"EMAIL_BACKEND": "smtp", "SMTP_PORT": smtp.port, "FROM_EMAIL": "from@x.io"})["email"]
    link = f"<https://lnd.example/notifications/unsubscribe?token={'t' * 60}.{'s' * 43}>"
    headers = {"List-Unsubscribe": link, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    html = "<p>Caf\u00e9 &amp; more</p>\n.a line that starts with a dot\n"
    sender.send("to@x.io", "Hello", "Caf\u00e9 & more", reference="n-1", html=html, headers=headers)
    _, message = smtp.messages[0]
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert message.get_body(("plain",)).get_content().strip() == "Caf\u00e9 & more"
    assert message.get_body(("html",)).get_content().replace("\r\n", "\n") == html
    assert message["List-Unsubscribe"] == link and message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # On the wire the long link is one plain header line: mail providers do not read RFC 2047 encoded words.
    assert f"List-Unsubscribe: {link}\r\n".encode() in smtp.raw[0]
