"""Who may see whose profile: ``profile_visibility`` is ``public``, ``followers`` or ``private``.

Everyone sees a public profile. A ``followers`` profile is seen by the people who follow its owner, a
``private`` one by nobody else; the owner and admins always see it. To anyone else a hidden profile is
"No such user" (404) and is not in search results: nothing tells that it exists.
"""

from sqlalchemy import and_, or_, select, true

from users.models import Follow, User

PUBLIC, FOLLOWERS, PRIVATE = "public", "followers", "private"


def may_see(viewer_id, viewer_is_admin, owner_id, visibility, viewer_follows_owner):
    """Whether the viewer (None: anonymous) may see the owner's profile."""
    if viewer_is_admin or visibility == PUBLIC or (viewer_id is not None and str(viewer_id) == str(owner_id)):
        return True
    return visibility == FOLLOWERS and viewer_id is not None and viewer_follows_owner


def visible_to(viewer_id, viewer_is_admin):
    """The SQL condition ``may_see`` is, over ``User`` rows: searches filter with it before paging."""
    if viewer_is_admin:
        return true()
    if viewer_id is None:
        return User.profile_visibility == PUBLIC
    followed = select(Follow.followee_id).where(Follow.follower_id == viewer_id)
    return or_(
        User.profile_visibility == PUBLIC,
        User.id == viewer_id,
        and_(User.profile_visibility == FOLLOWERS, User.id.in_(followed)),
    )
