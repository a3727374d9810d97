"""coaching's tables: coach profiles, weekly availability, dated exceptions, sessions and their notes."""

import uuid
from datetime import date, datetime, time

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, Time, Uuid, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from coaching.contracts import BOOKED, ONLINE
from common.clock import utcnow
from common.outbox import OutboxRecord
from common.runtime_settings import settings_table


class Base(DeclarativeBase):
    """coaching's tables (the runtime settings' and the outbox's among them)."""


settings_table(Base.metadata)


class CoachProfile(Base):
    __tablename__ = "coach_profiles"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    bio: Mapped[str | None] = mapped_column(Text)
    expertise: Mapped[list] = mapped_column(JSON, default=list)
    languages: Mapped[list] = mapped_column(JSON, default=list)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    session_minutes: Mapped[int] = mapped_column(Integer, default=60)
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=0)
    min_notice_minutes: Mapped[int] = mapped_column(Integer, default=120)
    price_cents: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    # Where new sessions take place; the link and the location are shown only to the coach and admins.
    session_kind: Mapped[str] = mapped_column(String(20), default=ONLINE, server_default=ONLINE)
    meeting_url: Mapped[str | None] = mapped_column(String(2048))
    location: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class WeeklyWindow(Base):
    """A recurring window on one weekday (0 = Monday), in the coach's time zone."""

    __tablename__ = "weekly_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    coach_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("coach_profiles.user_id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)


class AvailabilityException(Base):
    """A dated exception in the coach's time zone: a day off, or extra hours on that date."""

    __tablename__ = "availability_exceptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    coach_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("coach_profiles.user_id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))
    start_time: Mapped[time | None] = mapped_column(Time)
    end_time: Mapped[time | None] = mapped_column(Time)


class CoachingSession(Base):
    __tablename__ = "coaching_sessions"
    __table_args__ = (
        # One live session per coach and start: the last word on double booking.
        Index(
            "uq_sessions_coach_start_live",
            "coach_id",
            "start_at",
            unique=True,
            postgresql_where=text("status <> 'cancelled'"),
            sqlite_where=text("status <> 'cancelled'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    coach_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("coach_profiles.user_id"), index=True)
    learner_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    start_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    end_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default=BOOKED, index=True)
    topic: Mapped[str | None] = mapped_column(String(500))
    # Online (a meeting link) or in person (a location): set at booking, changed by the coach (coaching/places.py).
    kind: Mapped[str] = mapped_column(String(20), default=ONLINE, server_default=ONLINE)
    meeting_url: Mapped[str | None] = mapped_column(String(2048))
    location: Mapped[str | None] = mapped_column(String(500))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # Grows with each change: the SEQUENCE of the session in calendar feeds.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class SessionNote(Base):
    __tablename__ = "session_notes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    session_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("coaching_sessions.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    body: Mapped[str] = mapped_column(Text)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OutboxMessage(OutboxRecord, Base):
    """Events saved with the change that causes them, until the relay has published them (common/outbox.py)."""
