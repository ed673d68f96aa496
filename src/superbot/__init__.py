"""superbot: turns a work plan into supervised work."""

__version__ = "0.1.0"
