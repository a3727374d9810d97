from common.migrations import run_migrations
from users.models import Base

run_migrations(Base.metadata)
