"""The SMTP sender against a small SMTP server on 127.0.0.1 started by the test."""

import email

import eventlet
import pytest

from notifications.channels import DeliveryFailed, SmtpEmail, senders_from_config


class SmtpStandIn:
    """Just enough SMTP (RFC 5321) to accept or refuse a message: EHLO, MAIL, RCPT, DATA, QUIT."""

    def __init__(self, refuse=()):
        self.refuse = {address.lower() for address in refuse}
        self.messages = []
        self.socket = eventlet.listen(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.server = eventlet.spawn(self._serve)

    def _serve(self):
        while True:
            connection, _ = self.socket.accept()
            eventlet.spawn(self._session, connection)

    def _session(self, connection):
        stream = connection.makefile("rwb")

        def say(line):
            stream.write(line.encode() + b"\r\n")
            stream.flush()

        say("220 stand-in ESMTP")
        recipients = []
        while True:
            line = stream.readline().decode().strip()
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                say("250 stand-in")
            elif verb == "MAIL":
                recipients = []
                say("250 OK")
            elif verb == "RCPT":
                address = line.split(":", 1)[1].strip().strip("<>").lower()
                if address in self.refuse:
                    say("550 No such user")
                else:
                    recipients.append(address)
                    say("250 OK")
            elif verb == "DATA":
                say("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while (data := stream.readline()) not in (b".\r\n", b""):
                    lines.append(data)
                self.messages.append((recipients, email.message_from_bytes(b"".join(lines))))
                say("250 OK queued")
            elif verb == "QUIT" or not line:
                say("221 Bye")
                connection.close()
                return
            else:
                say("250 OK")

    def close(self):
        self.server.kill()
        self.socket.close()


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
