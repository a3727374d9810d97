"""auth's record of revoked access tokens against a real (SQLite, in-memory) database, no Nameko."""

import time
import uuid

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from auth import revocations
from auth.models import Base, TokenRevocation
from common.revocations import Revocation

TTL = 900


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session


def test_the_revocations_in_force_are_those_younger_than_the_token_lifetime(session):
    user, other = str(uuid.uuid4()), str(uuid.uuid4())
    now = time.time()
    revocations.record(session, Revocation(user, revoked_before=now - 1.5, revoked_at=now - 1.5), "user_deleted", TTL)
    revocations.record(session, Revocation(other, token_ids=("sid-1", "jti-1"), revoked_at=now), "logout", TTL)
    revocations.record(session, Revocation(other, revoked_before=now - TTL - 1, revoked_at=now - TTL - 1), "old", TTL)
    session.commit()
    active = revocations.active(session, TTL)
    assert sorted(active, key=lambda row: (row["revoked_at"], row["token_ids"])) == [
        {"user_id": user, "revoked_before": now - 1.5, "token_ids": [], "revoked_at": now - 1.5},
        {"user_id": other, "revoked_before": None, "token_ids": ["jti-1"], "revoked_at": now},
        {"user_id": other, "revoked_before": None, "token_ids": ["sid-1"], "revoked_at": now},
    ]


def test_a_users_event_is_recorded_once_and_long_lapsed_rows_are_forgotten(session):
    user = str(uuid.uuid4())
    now = time.time()
    revocation = Revocation(user, revoked_before=now, revoked_at=now)
    assert revocations.record_event(session, revocation, "user_disabled", TTL, "event-1")
    assert not revocations.record_event(session, revocation, "user_disabled", TTL, "event-1")  # redelivered
    ancient = Revocation(user, revoked_before=now - 3 * TTL, revoked_at=now - 3 * TTL)
    revocations.record(session, ancient, "user_deleted", TTL)
    session.commit()
    revocations.record(session, Revocation(user, token_ids=("j",), revoked_at=now), "logout", TTL)
    session.commit()
    assert session.scalar(select(func.count()).select_from(TokenRevocation)) == 2
