"""Peppol BIS Billing 3.0: UBL Invoice-2/CreditNote-2 read and write, SBDH, native rules."""
