"""What a registration that made no account tells the address it named."""

from common import events
from common.events import make_event
from notifications.templates import SUBSCRIPTIONS, recipients, render


def test_the_owner_of_a_taken_email_is_told_someone_tried_to_register_it():
    assert events.REGISTRATION_ATTEMPTED in SUBSCRIPTIONS["users"]
    event = make_event(events.REGISTRATION_ATTEMPTED, user_id="u1", email="tess@example.com", reason="email_taken")
    message = render(event)
    assert message.category == "security" and not message.secret
    assert message.subject == "Someone tried to register with your address"
    assert "already has one" in message.text and "reset your password" in message.text
    assert recipients(event) == ["u1"]


def test_a_free_email_whose_username_was_taken_is_told_by_email_only():
    event = make_event(
        events.REGISTRATION_ATTEMPTED, user_id="n1", email="fresh@example.com", reason="username_taken", username="tess"
    )
    message = render(event)
    # Secret: no in-app copy for an account that does not exist, and the stored copy is blanked once sent.
    assert message.category == "security" and message.secret
    assert message.subject == "Your registration was not completed"
    assert "the username tess, which is taken" in message.text
    assert recipients(event) == ["n1"]
