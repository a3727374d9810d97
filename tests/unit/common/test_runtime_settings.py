import mongomock
import pytest

from common.exceptions import NotFound, ValidationError
from common.runtime_settings import MongoSettingsStore, Setting, SettingsView


class FakeProvider:
    """What ``SettingsView`` needs of its provider, with a real (mongomock) store."""

    def __init__(self, definitions):
        self.service_name = "training"
        self.definitions = definitions
        self.store = MongoSettingsStore(mongomock.MongoClient().db)
        self.cached = None

    def current(self):
        if self.cached is None:
            self.cached = self.store.load()
        return self.cached

    def invalidate(self):
        self.cached = None


@pytest.fixture
def settings():
    return SettingsView(
        FakeProvider(
            {
                "attendance_min_seconds": Setting(1800, "watch time", minimum=1, maximum=86400),
                "strict": Setting(True, "a flag"),
                "mode": Setting("a", "a choice", choices=("a", "b")),
            }
        )
    )


def test_defaults_then_changes(settings):
    assert settings["attendance_min_seconds"] == 1800
    changed = settings.update("attendance_min_seconds", 600)
    assert changed["key"] == "training.attendance_min_seconds" and changed["value"] == 600
    assert settings["attendance_min_seconds"] == 600
    listing = {item["key"]: item for item in settings.listing()}
    assert listing["training.attendance_min_seconds"]["default"] == 1800
    assert listing["training.attendance_min_seconds"]["value"] == 600
    assert listing["training.strict"]["type"] == "bool"


@pytest.mark.parametrize(
    "key,value",
    [
        ("attendance_min_seconds", 0),
        ("attendance_min_seconds", 10**9),
        ("attendance_min_seconds", "600"),
        ("attendance_min_seconds", True),
        ("strict", 1),
        ("mode", "c"),
    ],
)
def test_bad_values_are_refused_and_change_nothing(settings, key, value):
    before = settings[key]
    with pytest.raises(ValidationError):
        settings.update(key, value)
    assert settings[key] == before


def test_unknown_setting_is_404(settings):
    with pytest.raises(NotFound):
        settings.update("nope", 1)


def test_of_two_concurrent_sql_creations_one_wins_and_the_other_is_told(tmp_path, monkeypatch):
    from sqlalchemy import MetaData, create_engine
    from sqlalchemy.orm import Session

    from common.runtime_settings import UNSET, SqlSettingsWriter, settings_table

    engine = create_engine(f"sqlite:///{tmp_path / 'settings.sqlite3'}")
    table = settings_table(MetaData())
    table.create(engine)
    with Session(engine) as first, Session(engine) as second:
        assert SqlSettingsWriter(first, table).insert("mode", "a")
        first.commit()
        late = SqlSettingsWriter(second, table)
        monkeypatch.setattr(late, "_stored", lambda key: UNSET)  # it looked before the first one committed
        assert late.insert("mode", "b") is False
        monkeypatch.undo()
        assert late.replace("mode", "c") == "a"  # the session is usable still: PUT's path
        second.commit()
    engine.dispose()
