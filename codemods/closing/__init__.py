"""Closing what holds a connection: the analysis and rewrite behind ``wrapping.WrappingCodemod``
(``close-response`` and ``close-client``). See ``wrapping.py`` for the map of its modules."""
