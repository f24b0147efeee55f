"""The steerable GAN session: its opening snapshot, single steps, slow motion, commands and resets."""

import math
import time

import numpy as np
import pytest
from generators import collect

from explorer.core.gan import CLASS_SAMPLES, GANConfig, drawn_classes, gan_from_checkpoint, gan_session
from explorer.core.runtime.errors import ExplorerError

TINY = {"channels": 4, "latent_dim": 8, "batch_size": 16, "train_limit": 512}


def test_the_session_opens_with_the_untrained_nets():
    session = gan_session(GANConfig(steps=3, **TINY), "cpu", yield_every_s=0.0)
    first = next(session)
    assert (first.step, first.d_steps) == (0, 0)
    assert all(math.isnan(v) for v in (first.d_loss, first.g_loss, first.d_real, first.d_fake))
    assert first.d_real_hist.sum() == first.d_fake_hist.sum() == 0
    assert first.samples.shape == (16, 28, 28)
    assert "D loss –" in first.summary()
    session.close()


def test_single_steps_move_only_their_own_net():
    session = gan_session(GANConfig(steps=100, d_steps_per_g=2, **TINY), "cpu")
    next(session)
    d = session.send(("step", "d"))
    assert (d.step, d.d_steps) == (0, 1) and math.isnan(d.g_loss) and d.d_loss > 0
    assert d.d_real_hist.sum() == 16 and d.samples is not None
    g = session.send(("step", "g"))
    assert (g.step, g.d_steps) == (1, 1) and g.g_loss > 0
    assert (g.d_loss, g.d_real, g.d_fake) == (d.d_loss, d.d_real, d.d_fake), "a G step changed D's numbers"
    np.testing.assert_array_equal(g.d_real_hist, d.d_real_hist)
    assert not np.array_equal(g.samples, d.samples), "a G step left G's samples unchanged"
    both = session.send(("step", "both"))
    assert (both.step, both.d_steps) == (2, 3)  # k = 2 more D steps, then one G step
    session.close()


def test_single_g_steps_can_finish_the_game_and_return_its_checkpoint():
    session = gan_session(GANConfig(steps=2, **TINY), "cpu")
    next(session)
    session.send(("step", "g"))
    assert session.send(("step", "g")).step == 2  # the answer comes first...
    with pytest.raises(StopIteration) as done:
        next(session)  # ...then the game is over
    ckpt = done.value.value
    assert ckpt.info["steps"] == 2 and ckpt.info["d_steps"] == 0


def test_slow_motion_waits_between_iterations_and_answers_at_once():
    session = gan_session(GANConfig(mode="toy", hidden=16, latent_dim=4, batch_size=32, steps=1000), "cpu")
    next(session)
    assert session.send(("delay", 0.3)) is None  # acknowledged without training
    started = time.monotonic()
    items = []
    while not items or items[-1] is None:
        items.append(next(session))
    assert time.monotonic() - started >= 0.3 and items[-1].step == 1, "one iteration after the wait"
    assert len(items) >= 4 and all(item is None for item in items[:-1]), "the wait yields in slices"
    next(session)  # inside the next wait
    step = session.send(("step", "d"))  # a command cuts the wait short
    assert (step.step, step.d_steps) == (1, 2)
    session.close()


@pytest.mark.parametrize("command", [("jump", 1), ("step", "x"), ("delay", -1.0), ("delay", "slow"), "go"])
def test_a_bad_command_is_refused_with_a_message(command):
    session = gan_session(GANConfig(mode="toy", hidden=16, latent_dim=4, batch_size=32, steps=10), "cpu")
    next(session)
    with pytest.raises(ValueError, match=r"command|step|delay"):
        session.send(command)


def test_the_same_seed_replays_the_same_game():
    cfg = GANConfig(steps=100, **TINY)
    a, b = gan_session(cfg, "cpu"), gan_session(cfg, "cpu")
    first_a, first_b = next(a), next(b)
    np.testing.assert_array_equal(first_a.samples, first_b.samples)
    for command in (("step", "d"), ("step", "both"), ("step", "g")):
        x, y = a.send(command), b.send(command)
        assert (x.d_loss, x.g_loss) == (y.d_loss, y.g_loss)
        np.testing.assert_array_equal(x.samples, y.samples)
    a.close()
    b.close()


def test_the_class_meter_sorts_fixed_samples_into_digits_and_is_optional(monkeypatch):
    first = next(gan_session(GANConfig(steps=3, **TINY), "cpu"))
    assert first.class_counts.shape == (10,) and first.class_counts.sum() == CLASS_SAMPLES

    def no_classifier():
        raise ExplorerError("No classifier checkpoint")

    monkeypatch.setattr("explorer.core.gan.session.load_classifier", no_classifier)
    assert next(gan_session(GANConfig(steps=3, **TINY), "cpu")).class_counts is None


def test_a_loaded_generator_reads_on_the_meter_what_its_game_showed_last():
    cfg = GANConfig(steps=2, ema=0.0, seed=3, **TINY)  # no average: the saved G is the one the game metered
    session = gan_session(cfg, "cpu", yield_every_s=0.0, samples_every_s=0.0)
    snapshots, ckpt = collect(session)
    generator, loaded_cfg = gan_from_checkpoint(ckpt)
    counts = drawn_classes(generator, loaded_cfg)
    np.testing.assert_array_equal(counts, snapshots[-1].class_counts)
    assert counts.sum() == CLASS_SAMPLES
    toy = GANConfig(mode="toy", hidden=8, latent_dim=2)
    assert drawn_classes(generator, toy) is None  # no digits to classify


def test_a_step_answers_before_the_meter_which_follows_on_request():
    session = gan_session(GANConfig(steps=100, **TINY), "cpu")
    first = next(session)
    d = session.send(("step", "d"))
    assert d.class_counts is None and d.samples is not None  # the step's own views, at once
    meter = session.send(("meter", None))
    assert (meter.step, meter.d_steps, meter.d_loss) == (d.step, d.d_steps, d.d_loss) and meter.samples is None
    if first.class_counts is not None:  # a classifier is there to count with
        assert meter.class_counts.sum() == CLASS_SAMPLES
    session.close()
