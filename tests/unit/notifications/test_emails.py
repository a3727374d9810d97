"""Emails as sent: an HTML part and a text part from templates, and a signed one-click unsubscribe link."""

from urllib.parse import parse_qs, urlparse

import pytest

from common.exceptions import ValidationError
from notifications.emails import compose
from notifications.unsubscribe import UnsubscribeLinks

LINKS = UnsubscribeLinks("test-secret", "https://learn.example.com/")


def document(**changes):
    return {"user_id": "u1", "category": "events", "subject": "Reminder", "text": "Kickoff starts soon.", **changes}


def test_an_email_has_both_parts_and_a_one_click_unsubscribe_for_its_category():
    email = compose(document(), LINKS)
    url = email.headers["List-Unsubscribe"].strip("<>")
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url.startswith("https://learn.example.com/notifications/unsubscribe?token=")
    assert email.text.startswith("Kickoff starts soon.\n\n--\n") and url in email.text
    assert "<p" in email.html and "Kickoff starts soon." in email.html and url.replace("&", "&amp;") in email.html
    token = parse_qs(urlparse(url).query)["token"][0]
    assert LINKS.read(token) == ("u1", "events")


def test_names_and_titles_are_text_in_the_html_part():
    email = compose(document(subject="<b>Hi</b>", text="<script>alert(1)</script> follows you."), LINKS)
    assert "<script>" not in email.html and "&lt;script&gt;alert(1)&lt;/script&gt;" in email.html
    assert "<script>alert(1)</script> follows you." in email.text  # the text part is text


@pytest.mark.parametrize("changes", [{"category": "security"}, {"secret": True}, {"category": "digest"}])
def test_security_messages_codes_and_digests_have_no_unsubscribe(changes):
    email = compose(document(**changes), LINKS)
    assert email.headers == {} and "unsubscribe" not in email.text.lower() and "nsubscribe" not in email.html


def test_a_changed_or_foreign_token_is_refused():
    token = LINKS.token("u1", "events")
    for bad in (token[:-2] + "xx", UnsubscribeLinks("another-secret", "x").token("u1", "events"), "", "nonsense"):
        with pytest.raises(ValidationError):
            LINKS.read(bad)
    with pytest.raises(ValidationError):  # a genuine signature over a category that does not exist
        LINKS.read(LINKS.serializer.dumps({"u": "u1", "c": "everything"}))
