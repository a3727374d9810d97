"""``nameko shell`` on embedded mode's in-process broker stops at once, saying how to reach a platform.

config.yaml's default AMQP_URI, ``memory://``, is embedded mode's broker: it lives inside ``make run``'s one
process, so a shell started beside it reaches no service and its first call waits for ever. Nameko's shell has
no hook before that call, and kombu no longer imports a transport named in a URL, so ``make`` puts one line in
the venv's site-packages (``lnd-shell-guard.pth``; coverage and editable installs start their code the same
way): when the interpreter starts ``nameko shell``, ``check`` reads the config the shell is about to use and,
if its broker is in-process, prints how to start the platform on RabbitMQ and exits with status 1. Every other
program pays one comparison of ``sys.argv``.

    python -m common.shell_guard install    # what make does, for the venv of the running interpreter
"""

import argparse
import os
import sys
import sysconfig
from pathlib import Path

PTH_NAME = "lnd-shell-guard.pth"
IN_PROCESS_SCHEMES = ("memory://",)

MESSAGE = (
    "nameko shell: AMQP_URI is {uri}, embedded mode's in-process broker, which only the services inside"
    " `make run`'s own process share: nothing would ever answer here. The shell needs the platform on RabbitMQ:"
    " start it with `make up` (one process per service on the local RabbitMQ and PostgreSQL), then `make shell`;"
    " or point the shell at a running platform's broker:"
    " AMQP_URI=pyamqp://<user>:<password>@<host>:5672/ nameko shell --config config.yaml"
)


def broker_of(argv):
    """The broker ``nameko shell <argv>`` would connect to."""
    from nameko.cli.commands import Shell  # argument parsing only: this module imports nothing else of Nameko

    args, _ = Shell.init_parser(argparse.ArgumentParser(add_help=False)).parse_known_args(argv)
    if not args.config:
        return args.broker
    from common.config import load_config

    return str(load_config(args.config).get("AMQP_URI", ""))


def check(argv):
    try:
        uri = broker_of(argv)
    except (Exception, SystemExit):  # a bad config or argument: Nameko's own error follows; never stop it here
        return
    if uri and uri.startswith(IN_PROCESS_SCHEMES):
        # This runs while Python starts (site), where SystemExit is a fatal error with a traceback: say it
        # and leave; nothing else has started yet.
        sys.stderr.write(MESSAGE.format(uri=uri) + "\n")
        sys.stderr.flush()
        os._exit(1)


def pth_line(checkout):
    """The site-packages line: for ``nameko shell`` only, run ``check`` from ``checkout`` (if it is still there)."""
    checkout = str(checkout)
    return (
        "import os, sys; os.path.basename(sys.argv[0]) == 'nameko' and sys.argv[1:2] == ['shell']"
        f" and os.path.isfile(os.path.join({checkout!r}, 'common', 'shell_guard.py'))"
        f" and (sys.path.append({checkout!r}) or __import__('common.shell_guard').shell_guard.check(sys.argv[2:]))\n"
    )


def install(checkout=Path(__file__).resolve().parent.parent):
    site_packages = Path(sysconfig.get_path("purelib"))
    (site_packages / PTH_NAME).write_text(pth_line(checkout))
    return site_packages / PTH_NAME


if __name__ == "__main__":
    if sys.argv[1:] != ["install"]:
        sys.exit("usage: python -m common.shell_guard install")
    print(f"nameko shell guard: {install()}")
