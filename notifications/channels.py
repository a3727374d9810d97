"""The outside systems that carry messages: SendGrid or SMTP for email, AWS SNS for SMS and push.

Each sender's ``send(address, subject, text, reference)`` returns the provider's
message id (or None) or raises ``DeliveryFailed``; ``permanent`` failures
(a refused address, a bad key) are not retried. In embedded mode (backend
``log``) messages are written to the log instead (the history keeps them too).
"""

import logging
import smtplib
from email import policy
from email.message import EmailMessage

import requests

log = logging.getLogger("notifications.delivery")

# Header lines up to SMTP's own limit (RFC 5322: 998): with the default 78, Python writes a long header such as
# List-Unsubscribe as RFC 2047 encoded words, which mail providers do not read as a link.
SMTP_POLICY = policy.default.clone(max_line_length=998)

# SendGrid: 429 and 5xx are worth retrying; other 4xx will fail the same way again.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class DeliveryFailed(Exception):
    def __init__(self, message, permanent=False, status=None):
        super().__init__(message)
        self.permanent = permanent
        self.status = status


class LogEmail:
    def send(self, address, subject, text, reference=None, html=None, headers=None):
        # tests/e2e/test_operations.py reads codes from this line in embedded mode.
        log.warning("email to %s | %s | %s", address, subject, text)
        return None


class SendGridEmail:
    """SendGrid's v3 Web API: POST /v3/mail/send answers 202 with an X-Message-Id."""

    def __init__(self, base_url, api_key, from_email, from_name, timeout):
        self.url = base_url.rstrip("/") + "/v3/mail/send"
        self.api_key = api_key or ""
        self.sender = {"email": from_email, "name": from_name} if from_name else {"email": from_email}
        self.timeout = timeout
        self.session = requests.Session()

    def send(self, address, subject, text, reference=None, html=None, headers=None):
        content = [{"type": "text/plain", "value": text}]
        if html:
            content.append({"type": "text/html", "value": html})  # SendGrid wants text/plain first
        payload = {
            "personalizations": [{"to": [{"email": address}]}],
            "from": self.sender,
            "subject": subject,
            "content": content,
        }
        if headers:
            payload["headers"] = dict(headers)
        if reference:
            payload["custom_args"] = {"notification_id": reference}
        try:
            response = self.session.post(
                self.url, json=payload, headers={"Authorization": f"Bearer {self.api_key}"}, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise DeliveryFailed(f"SendGrid unreachable: {type(exc).__name__}") from None
        if 200 <= response.status_code < 300:
            return response.headers.get("X-Message-Id")
        raise DeliveryFailed(
            f"SendGrid answered {response.status_code}: {_sendgrid_errors(response)}",
            permanent=response.status_code not in RETRYABLE_STATUSES,
            status=response.status_code,
        )


def _sendgrid_errors(response):
    try:
        errors = response.json().get("errors") or []
        return "; ".join(str(error.get("message")) for error in errors)[:500] or response.reason
    except ValueError:
        return (response.text or response.reason or "")[:200]


class SmtpEmail:
    def __init__(self, host, port, username, password, starttls, from_email, timeout):
        self.host, self.port = host, int(port)
        self.username, self.password = username, password
        self.starttls = bool(starttls)
        self.from_email = from_email
        self.timeout = timeout

    def send(self, address, subject, text, reference=None, html=None, headers=None):
        message = EmailMessage(policy=SMTP_POLICY)
        message["From"], message["To"], message["Subject"] = self.from_email, address, subject
        if reference:
            message["X-Notification-Id"] = reference
        for name, value in (headers or {}).items():
            message[name] = value
        message.set_content(text)
        if html:
            message.add_alternative(html, subtype="html")  # multipart/alternative: text first, HTML preferred
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryFailed(f"SMTP refused the address: {exc}", permanent=True) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"SMTP failed: {type(exc).__name__}: {exc}") from None
        return None


class LogText:
    """SMS and push in embedded mode."""

    def __init__(self, channel):
        self.channel = channel

    def send(self, address, subject, text, reference=None):
        log.warning("%s to %s | %s | %s", self.channel, address, subject, text)
        return None


class SnsText:
    """SMS to a phone number, or push to a platform endpoint ARN, through AWS SNS."""

    def __init__(self, client, push):
        self.client = client
        self.push = push

    def send(self, address, subject, text, reference=None):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            if self.push:
                answer = self.client.publish(
                    TargetArn=address, Message=f"{subject}: {text}"[:4000], Subject=subject[:99]
                )
            else:
                # An SMS carries at most 1,600 bytes (GSM-7 and UCS-2 aside): keep well under it.
                answer = self.client.publish(PhoneNumber=address, Message=f"{subject}: {text}"[:600])
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            permanent = code in ("InvalidParameter", "InvalidParameterValue", "EndpointDisabled", "NotFound")
            raise DeliveryFailed(f"SNS refused: {code}", permanent=permanent) from None
        except BotoCoreError as exc:
            raise DeliveryFailed(f"SNS unreachable: {type(exc).__name__}") from None
        return answer.get("MessageId")


def senders_from_config(section):
    """``{channel: sender}`` for the email, sms and push channels, as config.yaml's NOTIFICATIONS says."""
    section = section or {}
    timeout = float(section.get("HTTP_TIMEOUT") or 10)
    from_email = section.get("FROM_EMAIL") or "no-reply@lnd.example"
    backend = (section.get("EMAIL_BACKEND") or "log").lower()
    if backend == "sendgrid":
        email = SendGridEmail(
            section.get("SENDGRID_BASE_URL") or "https://api.sendgrid.com",
            section.get("SENDGRID_API_KEY"),
            from_email,
            section.get("FROM_NAME"),
            timeout,
        )
    elif backend == "smtp":
        email = SmtpEmail(
            section.get("SMTP_HOST") or "127.0.0.1",
            section.get("SMTP_PORT") or 25,
            section.get("SMTP_USERNAME"),
            section.get("SMTP_PASSWORD"),
            section.get("SMTP_STARTTLS"),
            from_email,
            timeout,
        )
    else:
        email = LogEmail()
    if (section.get("SMS_BACKEND") or "log").lower() == "sns":
        import boto3

        client = boto3.client(
            "sns", region_name=section.get("SNS_REGION") or "us-east-1", endpoint_url=section.get("SNS_ENDPOINT_URL")
        )
        sms, push = SnsText(client, push=False), SnsText(client, push=True)
    else:
        sms, push = LogText("sms"), LogText("push")
    return {"email": email, "sms": sms, "push": push}
