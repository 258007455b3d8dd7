"""monitor: an implementation-tracking monitor for international agreements."""

__version__ = "0.1.0"
