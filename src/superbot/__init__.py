"""superbot: turns a work plan into supervised work."""

import logging

__version__ = "0.1.0"

# Library code logs; only `superbot run` decides where logs go (the CLI reports in templates).
logging.getLogger("superbot").addHandler(logging.NullHandler())
