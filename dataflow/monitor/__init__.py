"""Monitoring: data-quality checks per layer (``quality``, ``checks``); drift and alerts live beside them."""
