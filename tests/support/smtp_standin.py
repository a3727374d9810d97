"""A small SMTP server on 127.0.0.1, started by the test: what the SMTP sender sends, captured as parsed emails.

Just enough SMTP (RFC 5321) to accept or refuse a message: EHLO, MAIL, RCPT, DATA, QUIT. Addresses in
``refuse`` are answered 550 (a permanent failure).
"""

import email
import email.policy

import eventlet


class SmtpStandIn:
    def __init__(self, refuse=()):
        self.refuse = {address.lower() for address in refuse}
        self.messages = []  # (recipients, email.message.EmailMessage), in order
        self.raw = []  # each message as it came, bytes
        self.socket = eventlet.listen(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.server = eventlet.spawn(self._serve)

    def to(self, address):
        return [message for recipients, message in list(self.messages) if address.lower() in recipients]

    def raw_of(self, message):
        """The bytes ``message`` came as."""
        return next(raw for (_, parsed), raw in zip(self.messages, self.raw, strict=True) if parsed is message)

    def wait_for(self, address, containing=None, timeout=15):
        """The first message to ``address`` (whose subject or text part holds ``containing``)."""
        with eventlet.Timeout(timeout):
            while True:
                for message in self.to(address):
                    text = message.get_body(("plain",))
                    if (
                        containing is None
                        or containing in f"{message['Subject']}\n{text.get_content() if text else ''}"
                    ):
                        return message
                eventlet.sleep(0.05)

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
                    lines.append(data[1:] if data.startswith(b"..") else data)  # undo the client's dot-stuffing
                self.raw.append(b"".join(lines))
                self.messages.append((recipients, email.message_from_bytes(self.raw[-1], policy=email.policy.default)))
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
