from common.migrations import run_migrations
from events.models import Base

run_migrations(Base.metadata)
