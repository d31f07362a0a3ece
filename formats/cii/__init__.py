"""UN/CEFACT Cross Industry Invoice (D16B, EN 16931 binding) read and write through the model."""

from .read import read
from .write import Written, write, write_with_report

__all__ = ["Written", "read", "write", "write_with_report"]
