"""The shared kernel of the platform's services.

Importing it first quiets the start-up warnings of the stack that nobody can act on: Nameko imports
``pkg_resources`` and eventlet announces its own deprecation (both pinned on purpose; docs/architecture.md).
"""

import warnings

warnings.filterwarnings("ignore", message=r"(?s).*pkg_resources is deprecated")
warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
