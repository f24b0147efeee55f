"""Generator jobs for the runner tests; importable by name in a spawned child process."""

import time

import torch


def count(n: int, delay_s: float = 0.0):
    """Yield 0..n-1 (with an optional pause between), then return n."""
    for i in range(n):
        if delay_s:
            time.sleep(delay_s)
        yield i
    return n


def out_of_memory(after: int = 1):
    """Yield a few items, then fail as CUDA does when the GPU is full."""
    yield from range(after)
    raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")


def echo(n: int, delay_s: float = 0.0):
    """Yield 0..n-1; answer each message sent in by yielding ("got", message) at once."""
    for i in range(n):
        if delay_s:
            time.sleep(delay_s)
        message = yield i
        while message is not None:
            message = yield ("got", message)
    return n
