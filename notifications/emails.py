"""An email as people get it: HTML with a plain-text alternative, from templates, with its unsubscribe link.

The templates (notifications/email_templates/) are Jinja2 with autoescaping, so a name or a title such as
``<script>`` prints as text in the HTML part. Messages of a category people can turn off carry a one-click
unsubscribe (RFC 8058: ``List-Unsubscribe`` and ``List-Unsubscribe-Post``) and the same link in the body;
security messages (codes, lockouts) and digests do not: they are not a subscription.
"""

from dataclasses import dataclass, field

from jinja2 import Environment, PackageLoader, select_autoescape

from notifications.contracts import CATEGORIES, SECURITY

TEMPLATES = Environment(
    loader=PackageLoader("notifications", "email_templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
CATEGORY_NAMES = {category: category.replace("_", " ") for category in CATEGORIES}


@dataclass(frozen=True)
class EmailContent:
    text: str
    html: str
    headers: dict = field(default_factory=dict)


def can_unsubscribe(document):
    return (
        document.get("category") in CATEGORIES and document.get("category") != SECURITY and not document.get("secret")
    )


def compose(document, links):
    """The email of a stored message (``document``); ``links``: the service's ``UnsubscribeLinks``."""
    unsubscribe = links.url(document["user_id"], document["category"]) if can_unsubscribe(document) else None
    data = {
        "subject": document["subject"],
        "text": document["text"],
        "paragraphs": [line for line in document["text"].split("\n") if line.strip()],
        "unsubscribe_url": unsubscribe,
        "category": CATEGORY_NAMES.get(document.get("category"), document.get("category")),
    }
    headers = {}
    if unsubscribe:
        headers = {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return EmailContent(
        text=TEMPLATES.get_template("message.txt").render(**data).rstrip("\n"),
        html=TEMPLATES.get_template("message.html").render(**data),
        headers=headers,
    )
