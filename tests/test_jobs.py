"""Jobs streamed from a child process: results, pause, stop and failures."""

import time

import pytest

import jobs_for_tests
from explorer.core.errors import JobError
from explorer.core.jobs import ChildProcess, Job, guarded


def drain(stream):
    items = []
    try:
        while True:
            item = next(stream)
            if item is not None:
                items.append(item)
    except StopIteration as done:
        return items, done.value


def test_a_child_streams_every_item_and_its_result():
    items, result = drain(ChildProcess(Job(jobs_for_tests.count, {"n": 50})).stream())
    assert items == list(range(50)) and result == 50


def test_a_failure_in_the_child_reaches_the_parent_as_a_message():
    stream = ChildProcess(Job(jobs_for_tests.out_of_memory, {"after": 2})).stream()
    with pytest.raises(JobError, match="GPU ran out of memory"):
        drain(stream)


def test_pause_really_pauses_the_child_and_stop_ends_it():
    child = ChildProcess(Job(jobs_for_tests.count, {"n": 100000, "delay_s": 0.002}))
    stream = child.stream()
    first = next(item for item in stream if item is not None)
    child.pause()
    time.sleep(0.3)
    seen = [item for item in (next(stream) for _ in range(20)) if item is not None]  # what was in flight
    time.sleep(0.5)
    during_pause = [item for item in (next(stream) for _ in range(3)) if item is not None]
    assert during_pause == [], "the child kept producing while paused"
    child.resume()
    after = next(item for item in stream if item is not None)
    assert after > max([first, *seen])
    child.stop()
    items, result = drain(stream)
    assert result is None and len(items) < 100000


def test_guarded_turns_any_failure_into_a_message_and_honours_stop():
    def broken():
        yield 1
        raise ValueError("bad value")

    with pytest.raises(JobError, match="ValueError: bad value"):
        list(guarded(broken(), lambda: False))
    stop_after = iter([False, False, True])
    assert list(guarded(iter(range(10)), lambda: next(stop_after))) == [0, 1]
