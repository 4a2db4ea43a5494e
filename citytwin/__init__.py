"""citytwin: an open, privacy-first city digital twin on commodity hardware."""

__version__ = "0.1.0"
