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
from notifications.templates import recipients, render, tells_time


def store_messages(db, event, now, get_account, get_accounts, renew):
    """Store the event's messages for every recipient, a page at a time (``renew()`` after each); returns how
    many people it tells. A message that writes a time is written for each reader's zone and language."""
    event = with_names(event, get_account)
    message = render(event)
    people = list(dict.fromkeys(str(person) for person in recipients(event))) if message is not None else []
    tables = outbox.read_preferences_many(db, people) if people else {}
    local = tells_time(event)
    for start in range(0, len(people), ACCOUNTS_PER_CALL):
        page = people[start : start + ACCOUNTS_PER_CALL]
        accounts = accounts_of(page, event, message, tables, get_accounts, everyone=local)
        addresses = emails_of(page, event, message, tables, accounts)
        documents = []
        for user_id in page:
            account = accounts.get(user_id) or {}
            mine = render_for(event, account) if local else message
            documents += outbox.plan(event, mine, user_id, tables[user_id], addresses.get(user_id), now)
        outbox.store(db, documents)
        renew()
    return len(people)


def render_for(event, account):
    return render(event, account.get("timezone"), account.get("locale"))


def accounts_of(user_ids, event, message, tables, get_accounts, everyone=False):
    """``{user_id: account}`` from users in one call: of everyone in ``user_ids`` when the message is written
    for each reader (``everyone``), else of those who get it by email (none asked when nobody does)."""
    wanted = list(user_ids) if everyone else [u for u in user_ids if wants_email(u, event, message, tables)]
    return get_accounts(wanted) if wanted else {}


def with_names(event, get_account):
    """Names a template needs: the follower's comes in the event (users sends ``follower_name``); an event
    published before it did is completed by asking users."""
    metadata = event.get("metadata") or {}
    if event["event_type"] != events.USER_FOLLOWED or metadata.get("follower_name") or not event.get("user_id"):
        return event
    account = get_account(str(event["user_id"])) or {}
    name = account.get("name") or account.get("username") or "Someone"
    return {**event, "metadata": {**metadata, "follower_name": name}}


def wants_email(user_id, event, message, tables):
    return not _given_address(user_id, event) and prefs.EMAIL in prefs.channels_for(
        tables[user_id], message.category, message.secret
    )


def _given_address(user_id, event):
    metadata = event.get("metadata") or {}
    return metadata.get("email") if metadata.get("email") and user_id == str(event.get("user_id")) else None


def emails_of(user_ids, event, message, tables, accounts):
    """``{user_id: address}`` of the people in ``user_ids`` who get this message by email."""
    addresses = {}
    for user_id in user_ids:
        given = _given_address(user_id, event)
        if given:
            addresses[user_id] = given  # codes go to the address they were asked for
        elif wants_email(user_id, event, message, tables) and user_id in accounts:
            addresses[user_id] = accounts[user_id].get("email")
    return addresses
