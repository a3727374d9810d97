"""Reading config.yaml the way ``nameko run`` does (``${ENV_VAR:default}``)."""

from pathlib import Path

import yaml
from nameko.cli.main import setup_yaml_parser

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATH = ROOT / "config.yaml"


def load_config(path=DEFAULT_PATH):
    setup_yaml_parser()
    with open(path) as stream:
        return yaml.safe_load(stream)
