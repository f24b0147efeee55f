"""Test helper: drive a core generator (chain, training, evaluation) by hand."""


def collect(generator):
    """Every item the generator yields, and what it returns."""
    items = []
    while True:
        try:
            items.append(next(generator))
        except StopIteration as done:
            return items, done.value
