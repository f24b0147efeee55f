"""Jobs in a thread or streamed from a child process: results, pause, stop, failures and messages
sent in, the same way in both; tests wait on the job's acknowledgements, not on sleeps."""

import queue

import jobs_for_tests
import pytest

from explorer.core.runtime.errors import JobError
from explorer.core.runtime.jobs import STOPPED, Ack, ChildProcess, Control, Job, control, guarded, message, steered


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


def until(stream, wanted):
    """The items of ``stream`` up to ``wanted`` (an Ack), which has then been seen."""
    seen = []
    for item in stream:
        if item is wanted:
            return seen
        if item is not None:
            seen.append(item)
    raise AssertionError(f"the stream ended before {wanted}")


def test_pause_really_pauses_the_child_and_stop_ends_it():
    child = ChildProcess(Job(jobs_for_tests.count, {"n": 100000, "delay_s": 0.002}))
    stream = child.stream()
    first = next(item for item in stream if item is not None)
    child.pause()
    in_flight = until(stream, Ack.PAUSED)  # the child has stopped stepping the job
    assert [next(stream) for _ in range(3)] == [None] * 3, "the child kept producing while paused"
    child.resume()
    until(stream, Ack.RESUMED)
    after = next(item for item in stream if item is not None)
    assert after > max([first, *in_flight])
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
    until(stream, Ack.PAUSED)
    child.send("stop")  # a message for the generator, not a command: tagged apart
    assert next_item(stream) == ("got", "stop")
    assert [next(stream) for _ in range(3)] == [None] * 3, "answering the message resumed the child"
    child.resume()
    until(stream, Ack.RESUMED)
    assert isinstance(next_item(stream), int)
    child.stop()
    drain(stream)


def test_a_message_sent_before_the_first_item_is_answered_after_it():
    child = ChildProcess(Job(jobs_for_tests.echo, {"n": 3}))
    child.send("early")
    assert drain(child.stream()) == ([0, ("got", "early"), 1, 2], 3)


def test_steered_sends_messages_in_once_the_job_has_started_and_obeys_controls():
    inbox = queue.SimpleQueue()
    inbox.put(message("early"))
    assert list(steered(jobs_for_tests.echo(3), inbox)) == [0, ("got", "early"), 1, 2]
    loop = steered(jobs_for_tests.count(10), inbox)
    assert next(loop) == 0
    inbox.put(control(Control.PAUSE))
    assert next(loop) is Ack.PAUSED
    inbox.put(message(None))  # answered even while paused: count yields its next item
    assert next(loop) == 1
    inbox.put(control(Control.STOP))
    assert drain(loop) == ([], STOPPED)


def test_a_job_is_checked_against_its_function_when_it_is_made():
    with pytest.raises(TypeError, match=r"Job\(count\): .*unexpected keyword argument 'm'"):
        Job(jobs_for_tests.count, {"n": 5, "m": 5})
    with pytest.raises(TypeError, match="missing a required argument: 'n'"):
        Job(jobs_for_tests.count, {})


@pytest.mark.parametrize("in_child", [True, False], ids=["child", "thread"])
def test_the_runner_pauses_and_sends_messages_the_same_way_in_a_thread_and_a_child(qtbot, in_child):
    from explorer.ui.worker import Runner

    runner = Runner()
    runner.in_child = in_child
    items = []
    runner.send("nobody listens")  # no job: ignored
    runner.start(Job(jobs_for_tests.echo, {"n": 100000, "delay_s": 0.002}), on_yield=items.append)
    qtbot.waitUntil(lambda: len(items) >= 3, timeout=20000)
    with qtbot.waitSignal(runner.held, timeout=10000) as held:
        runner.pause()
    assert held.args == [True]
    paused_at = len(items)
    runner.send("hello")  # answered while paused, in a thread as in a child
    qtbot.waitUntil(lambda: ("got", "hello") in items, timeout=10000)
    assert items[paused_at:] == [("got", "hello")], "the job went on while paused"
    assert ("got", "nobody listens") not in items
    with qtbot.waitSignal(runner.held, timeout=10000) as held:
        runner.resume()
    assert held.args == [False]
    qtbot.waitUntil(lambda: isinstance(items[-1], int) and len(items) > paused_at + 2, timeout=10000)
    assert runner.shutdown()


def test_time_left_is_a_straight_line_estimate_once_a_job_has_run_a_while():
    from explorer.core.runtime.progress import clock, time_left

    assert clock(7) == "0:07" and clock(296) == "4:56" and clock(3723) == "1:02:03"
    assert time_left(0.5, 1.0) == ""  # too young to say
    assert time_left(0.25, 60.0) == "1:00 elapsed, about 3:00 left"
    assert time_left(0.001, 60.0) == "1:00 elapsed"  # too early for an estimate
