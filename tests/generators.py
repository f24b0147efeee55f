"""Test helper: drive a core generator (chain, training, evaluation) by hand."""

from explorer.core.runtime.generators import Returning


def collect(generator):
    """Every item the generator yields, and what it returns."""
    returning = Returning(generator)
    items = list(returning)
    return items, returning.value
