"""Who follows whom."""

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from common.exceptions import NotFound, ValidationError
from common.ids import parse_uuid
from common.pagination import offset_of
from users.models import Follow, User


def follow(session, follower_id, followee_id):
    """True when a new follow was made; following twice is harmless."""
    if follower_id == followee_id:
        raise ValidationError("You cannot follow yourself", {"user_id": ["is you"]})
    if session.get(Follow, (follower_id, followee_id)) is not None:
        return False
    session.add(Follow(follower_id=follower_id, followee_id=followee_id))
    try:
        session.flush()
    except IntegrityError:  # the same follow made concurrently
        session.rollback()
        return False
    return True


def unfollow(session, follower_id, followee_id):
    result = session.execute(delete(Follow).where(Follow.follower_id == follower_id, Follow.followee_id == followee_id))
    return result.rowcount > 0


def _page(session, join_on, where, page, page_size):
    total = session.scalar(select(func.count()).select_from(Follow).where(where))
    users = session.scalars(
        select(User)
        .join(Follow, join_on)
        .where(where)
        .order_by(Follow.created_at.desc())
        .offset(offset_of(page, page_size))
        .limit(page_size)
    ).all()
    return users, total


def followers(session, user_id, page, page_size):
    return _page(session, Follow.follower_id == User.id, Follow.followee_id == user_id, page, page_size)


def following(session, user_id, page, page_size):
    return _page(session, Follow.followee_id == User.id, Follow.follower_id == user_id, page, page_size)


def is_following(session, follower_id, followee_id):
    return session.get(Follow, (parse_uuid(follower_id), parse_uuid(followee_id))) is not None


def counts(session, user_id):
    """Followers and following in one round trip (the profile is the most read page)."""
    followers, following = session.execute(
        select(
            func.count().filter(Follow.followee_id == user_id),
            func.count().filter(Follow.follower_id == user_id),
        ).where(or_(Follow.followee_id == user_id, Follow.follower_id == user_id))
    ).one()
    return {"followers": followers, "following": following}


def with_counts(session, user_id):
    """``(user, {"followers", "following"})`` in one round trip: the user, its roles (joined) and both counts
    as correlated subqueries. The profile is the most read page; three round trips made it cost two hops."""
    followers = select(func.count()).where(Follow.followee_id == User.id).scalar_subquery()
    following = select(func.count()).where(Follow.follower_id == User.id).scalar_subquery()
    row = (
        session.execute(
            select(User, followers, following).options(joinedload(User.role_rows)).where(User.id == parse_uuid(user_id))
        )
        .unique()
        .first()
    )
    if row is None:
        raise NotFound("No such user")
    return row[0], {"followers": row[1], "following": row[2]}
