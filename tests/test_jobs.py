"""Jobs streamed from a child process: results, pause, stop, failures and messages sent in."""

import queue
import time

import jobs_for_tests
import pytest

from explorer.core.runtime.errors import JobError
from explorer.core.runtime.jobs import ChildProcess, Job, guarded


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


def next_item(stream):
    return next(item for item in stream if item is not None)


def test_a_message_reaches_the_childs_generator_even_while_paused():
    child = ChildProcess(Job(jobs_for_tests.echo, {"n": 100000, "delay_s": 0.002}))
    stream = child.stream()
    next_item(stream)
    child.pause()
    time.sleep(0.3)
    while next(stream) is not None:  # what was in flight; a heartbeat None once the pipe is empty
        pass
    child.send(("step", "d"))
    assert next_item(stream) == ("got", ("step", "d"))
    assert [next(stream) for _ in range(3)] == [None] * 3, "answering the message resumed the child"
    child.resume()
    assert isinstance(next_item(stream), int)
    child.stop()
    drain(stream)


def test_a_message_sent_before_the_first_item_is_answered_after_it():
    child = ChildProcess(Job(jobs_for_tests.echo, {"n": 3}))
    child.send("early")
    assert drain(child.stream()) == ([0, ("got", "early"), 1, 2], 3)


def test_guarded_sends_its_inbox_into_the_source_once_it_has_started():
    inbox = queue.SimpleQueue()
    inbox.put("early")
    assert list(guarded(jobs_for_tests.echo(3), lambda: False, inbox)) == [0, ("got", "early"), 1, 2]


@pytest.mark.parametrize("in_process", [True, False], ids=["child", "thread"])
def test_the_runner_sends_messages_into_its_job(qtbot, in_process):
    from explorer.ui.worker import Runner

    runner = Runner()
    items = []
    runner.send("nobody listens")  # no job: ignored
    runner.start(Job(jobs_for_tests.echo, {"n": 100000, "delay_s": 0.002}), on_yield=items.append,
                 in_process=in_process)
    qtbot.waitUntil(lambda: len(items) >= 3, timeout=20000)
    runner.send("hello")
    qtbot.waitUntil(lambda: ("got", "hello") in items, timeout=10000)
    assert ("got", "nobody listens") not in items
    assert runner.shutdown()
