"""Fixtures of the AS4 interop tests (see ``peers``)."""

from tests.integration.as4.peers import foreign_pki, kit, peer_receiver

__all__ = ["foreign_pki", "kit", "peer_receiver"]
