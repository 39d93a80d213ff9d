"""http-codemods: find and fix the ways Python code misuses HTTP clients."""

__version__ = "0.1.0"
