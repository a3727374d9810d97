"""``nameko run`` with the start-up checks first.

``python -m common.run --config config.yaml users.service:UsersService`` takes
``nameko run``'s arguments. Before anything starts it checks every value (one
line naming the variable: ``nameko run`` alone fails on some of them with a
traceback, e.g. MAX_WORKERS and LOG_LEVEL, before any service code runs),
warns about default credentials, and makes sure the broker answers (``nameko
run`` alone retries an unreachable AMQP_URI for ever). Every failure exits
with status 1.
"""

import eventlet

eventlet.monkey_patch()  # noqa: E402 -- before anything else touches sockets or threads

import argparse  # noqa: E402
import sys  # noqa: E402

from nameko.cli.commands import Run  # noqa: E402
from nameko.cli.main import setup_yaml_parser  # noqa: E402
from nameko.exceptions import CommandError, ConfigurationError  # noqa: E402

from common.config import load_config  # noqa: E402
from common.config_check import StartupError, check_broker, check_config, warn_about_default_credentials  # noqa: E402


def main(argv=None):
    parser = Run.init_parser(argparse.ArgumentParser(prog="python -m common.run", description=Run.__doc__))
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    setup_yaml_parser()
    config = load_config(args.config) if args.config else {"AMQP_URI": args.broker}
    check_config(config)
    warn_about_default_credentials(config)
    check_broker(config)
    try:
        Run.main(args)
    except (CommandError, ConfigurationError) as exc:  # nameko's own command line prints these and exits with 0
        raise StartupError(f"Error: {exc}") from None


if __name__ == "__main__":
    main()
