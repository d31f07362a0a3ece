"""Invoice formats: the canonical EN 16931 model and every syntax it is read from and written to.

Pure code: no I/O, no network, no imports from ``channels`` or ``gateway``.
"""
