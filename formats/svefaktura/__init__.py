"""Svefaktura 1.0 (SFTI BasicInvoice) read and write, through the one EN 16931 model."""

from .read import read
from .write import Written, write, write_with_report

__all__ = ["Written", "read", "write", "write_with_report"]
