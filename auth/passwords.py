"""Password hashing with Argon2id, run in a native thread so the hub keeps serving."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool
from nameko.extensions import DependencyProvider


class Passwords:
    def __init__(self, time_cost=3, memory_cost=65536, parallelism=1):
        self.hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
        # Verified against when the account does not exist, so timing reveals nothing.
        self.dummy_hash = self.hasher.hash("not a real password")

    def hash(self, password):
        return tpool.execute(self.hasher.hash, password)

    def verify(self, password_hash, password):
        try:
            return tpool.execute(self.hasher.verify, password_hash or self.dummy_hash, password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False


class PasswordHashing(DependencyProvider):
    """Config ``PASSWORD_HASH: {TIME_COST, MEMORY_COST, PARALLELISM}`` (tests lower the cost)."""

    def setup(self):
        options = self.container.config.get("PASSWORD_HASH") or {}
        self.passwords = Passwords(
            time_cost=int(options.get("TIME_COST", 3)),
            memory_cost=int(options.get("MEMORY_COST", 65536)),
            parallelism=int(options.get("PARALLELISM", 1)),
        )

    def get_dependency(self, worker_ctx):
        return self.passwords
