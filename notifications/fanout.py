"""From one event to its stored messages: whom it tells, by which channels, at which addresses.

Whatever the audience (``EVENT_UPDATED``/``EVENT_CANCELLED`` name everyone registered or waiting), the
preferences are read in one query and the addresses with one ``users.get_accounts`` call per page of
recipients; the inbox lease is renewed after each page, so the retry timer does not take a long fan-out for
an interrupted one. Plain functions, testable without Nameko: what they need from users comes as callables.
"""

from common import events
from notifications import outbox
from notifications import preferences as prefs
from notifications.delivery import ACCOUNTS_PER_CALL
from notifications.templates import recipients, render


def store_messages(db, event, now, get_account, get_accounts, renew):
    """Store the event's messages for every recipient, a page at a time (``renew()`` after each); returns how
    many people it tells."""
    message = render(with_names(event, get_account))
    people = list(dict.fromkeys(str(person) for person in recipients(event))) if message is not None else []
    tables = outbox.read_preferences_many(db, people) if people else {}
    for start in range(0, len(people), ACCOUNTS_PER_CALL):
        page = people[start : start + ACCOUNTS_PER_CALL]
        addresses = emails_of(page, event, message, tables, get_accounts)
        documents = []
        for user_id in page:
            documents += outbox.plan(event, message, user_id, tables[user_id], addresses.get(user_id), now)
        outbox.store(db, documents)
        renew()
    return len(people)


def with_names(event, get_account):
    """Names a template needs: the follower's comes in the event (users sends ``follower_name``); an event
    published before it did is completed by asking users."""
    metadata = event.get("metadata") or {}
    if event["event_type"] != events.USER_FOLLOWED or metadata.get("follower_name") or not event.get("user_id"):
        return event
    account = get_account(str(event["user_id"])) or {}
    name = account.get("name") or account.get("username") or "Someone"
    return {**event, "metadata": {**metadata, "follower_name": name}}


def emails_of(user_ids, event, message, tables, get_accounts):
    """``{user_id: address}`` of the people in ``user_ids`` who get this message by email: one call to users
    for the page, none for those who do not want email (or when nobody does)."""
    metadata = event.get("metadata") or {}
    addresses = {}
    wanted = []
    for user_id in user_ids:
        if metadata.get("email") and user_id == str(event.get("user_id")):
            addresses[user_id] = metadata["email"]  # codes go to the address they were asked for
        elif prefs.EMAIL in prefs.channels_for(tables[user_id], message.category, message.secret):
            wanted.append(user_id)
    if wanted:
        addresses.update({user_id: account.get("email") for user_id, account in get_accounts(wanted).items()})
    return addresses
