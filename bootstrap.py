"""Creates the first admin (ADMIN_EMAIL / ADMIN_PASSWORD) and, on request, demo accounts.

Idempotent: accounts that exist are left as they are. Runs over RPC like any
operator: ``python -m bootstrap [--demo]`` against the broker in AMQP_URI.
"""

import argparse

DEMO_ACCOUNTS = (
    ("instructor@example.com", "instructor", "Ingrid Instructor", ["instructor"], "instructor-demo-1"),
    ("coach@example.com", "coach", "Carl Coach", ["coach"], "coach-demo-1"),
    ("learner@example.com", "learner", "Lena Learner", ["learner"], "learner-demo-1"),
)


def accounts_to_seed(config, demo):
    admin = config.get("ADMIN") or {}
    accounts = [(admin["EMAIL"], "admin", "Platform Admin", ["admin"], admin["PASSWORD"])]
    if demo:
        accounts.extend(DEMO_ACCOUNTS)
    return accounts


def seed(users_rpc, config, demo=False):
    """Create what is missing; return ``[(email, password, roles, created)]``."""
    from common.exceptions import Conflict

    seeded = []
    for email, username, name, roles, password in accounts_to_seed(config, demo):
        try:
            users_rpc.create_user(email=email, username=username, name=name, roles=roles, password=password)
            created = True
        except Conflict:
            created = False
        seeded.append((email, password, roles, created))
    return seeded


def main(argv=None):
    import eventlet

    eventlet.monkey_patch()
    from nameko.standalone.rpc import ClusterRpcProxy

    from common.config import load_config

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", action="store_true", help="also create demo instructor, coach and learner")
    args = parser.parse_args(argv)
    config = load_config()
    with ClusterRpcProxy(config) as rpc:
        for email, _password, roles, created in seed(rpc.users, config, demo=args.demo):
            print(f"{'created' if created else 'exists '} {','.join(roles):<10} {email}")


if __name__ == "__main__":
    main()
