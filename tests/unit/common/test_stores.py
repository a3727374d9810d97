"""A worker's repositories share one connection and are built once each."""

import pytest

from common.stores import Repositories


class Counter:
    def __init__(self, connection):
        self.connection = connection


class Connection:
    commits = 0

    def commit(self):
        self.commits += 1


def test_repositories_share_the_connection_and_commit_it():
    connection = Connection()
    store = Repositories(lambda: connection, {"counters": Counter, "others": Counter})
    assert store.counters is store.counters
    assert store.counters.connection is store.others.connection is store.session is connection
    store.commit()
    assert connection.commits == 1
    with pytest.raises(AttributeError):
        getattr(store, "missing")  # noqa: B009
