"""bertcore.support.timing: medians of interleaved repeats, and argument checks."""
import time

import pytest

import bertcore as bc


def test_median_of_a_sleep_is_at_least_the_sleep():
    seconds = bc.time_call(lambda: time.sleep(0.02), repeats=3, warmup=0)
    assert 0.02 <= seconds < 0.5  # perf_counter never runs slow; the upper bound only guards units


def test_median_not_minimum_or_mean():
    durations = iter([0.0, 0.05, 0.01, 0.03])  # one warm-up, then three timed calls
    fake_now = [0.0]

    def clock():
        return fake_now[0]

    def fn():
        fake_now[0] += next(durations)

    assert bc.time_call(fn, repeats=3, warmup=1, clock=clock) == pytest.approx(0.03)  # median of .05 .01 .03


def test_repeats_are_interleaved_and_rotated():
    calls = []
    fns = {name: (lambda name=name: calls.append(name)) for name in "abc"}
    medians = bc.compare_times(fns, repeats=3, warmup=1)
    assert list(medians) == ["a", "b", "c"] and all(v >= 0 for v in medians.values())
    assert calls == list("abc") + list("abc") + list("bca") + list("cab")  # warm-up, then rotated rounds


def test_cpu_clock_ignores_sleep():
    assert bc.time_call(lambda: time.sleep(0.05), repeats=1, warmup=0, clock=time.process_time) < 0.04


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(repeats=0), ValueError, "repeats must be a positive int"),
    (dict(repeats=2.0), TypeError, "repeats"),
    (dict(warmup=-1), ValueError, "warmup"),
    (dict(clock=3), TypeError, "clock"),
])
def test_argument_checks(kwargs, error, message):
    with pytest.raises(error, match=message):
        bc.time_call(lambda: None, **kwargs)


def test_a_result_instead_of_a_function_names_the_fix():
    with pytest.raises(TypeError, match="lambda"):
        bc.time_call(3)
    with pytest.raises(TypeError, match="non-empty dict"):
        bc.compare_times({})
    with pytest.raises(TypeError, match="non-empty dict"):
        bc.compare_times([lambda: None])
