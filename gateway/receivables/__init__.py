"""Receivables: references to pay with, interest and fees by law, payment matching, reminders."""
