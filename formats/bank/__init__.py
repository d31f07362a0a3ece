"""Payment files from banks: Bankgirot BgMax and ISO 20022 camt.054 (pure parsers)."""
