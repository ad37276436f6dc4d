"""Flexibility trading: a GLocalFlex-compatible marketplace
(order book, matching, verification, streams)."""
