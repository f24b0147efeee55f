"""The Diffusion panel's Qt-free parts: the compact chain record (plain and guided), the chain player's state, the
chain job, GIF / PNG export."""

import numpy as np
import pytest
import torch
from generators import collect
from PIL import Image

from explorer.core.conditional import GuidedFrame
from explorer.core.diffusion import ChainFrame, DDPMConfig, SamplerConfig, build_ddpm, sample_chain
from explorer.core.diffusion.chain_export import (
    LABEL_HEIGHT,
    enlarge,
    gif_frames,
    labelled,
    save_gif,
    save_strip,
    spread_frames,
    strip,
)
from explorer.core.diffusion.chain_job import reverse_chains, weights_of
from explorer.core.diffusion.chain_player import ChainPlayerState
from explorer.core.diffusion.chain_record import EPS_RANGE, ChainRecord, GuidedChainRecord, to_grey
from explorer.core.runtime.checkpoints import config_from_dict
from explorer.core.runtime.errors import ExplorerError
from explorer.core.runtime.jobs import run_to_end
from explorer.core.runtime.limits import ConfigError


def frame(step: int, total: int, t: int, n: int = 2, seed: int = 0) -> ChainFrame:
    rng = np.random.default_rng(seed + step)
    x_t, eps, x0 = (rng.normal(size=(n, 28, 28)).astype(np.float32) for _ in range(3))
    return ChainFrame(step=step, total_steps=total, t=t, alpha_bar=1.0 - t / 100, x_t=x_t, eps=eps, x0_pred=x0)


def test_to_grey_maps_the_range_ends_and_the_middle_and_clips():
    values = np.array([-1.0, 0.0, 1.0, -5.0, 5.0, 0.5])
    assert to_grey(values).tolist() == [0, 128, 255, 0, 255, 191]  # 127.5 and 191.25 round to 128 and 191
    assert to_grey(np.array([-EPS_RANGE, EPS_RANGE]), EPS_RANGE).tolist() == [0, 255]


def test_the_record_keeps_each_frame_as_the_views_show_it():
    record = ChainRecord(SamplerConfig("ddpm"), seed=0, n=2, T=3)
    frames = [frame(i + 1, 3, t) for i, t in enumerate((2, 1, 0))]
    for f in frames:
        record.append(f)
    assert record.complete and record.nbytes == 3 * 3 * 2 * 28 * 28
    np.testing.assert_array_equal(record.image(1, "x_t", 1), to_grey(frames[1].x_t[1]))
    np.testing.assert_array_equal(record.image(2, "eps", 0), to_grey(frames[2].eps[0], EPS_RANGE))
    np.testing.assert_array_equal(record.final(1), to_grey(frames[2].x0_pred[1]))
    assert record.t.tolist() == [2, 1, 0] and record.alpha_bar[1] == pytest.approx(0.99)
    with pytest.raises(ValueError, match="already holds all its 3 frames"):
        record.append(frames[0])


def test_a_frame_of_the_wrong_size_is_refused():
    record = ChainRecord(SamplerConfig("ddim", 2), seed=0, n=4, T=1000)
    with pytest.raises(ValueError, match="does not fit a chain of 4 samples"):
        record.append(frame(1, 2, 5, n=3))


def test_frame_at_finds_the_step_at_or_just_above_t():
    record = ChainRecord(SamplerConfig("ddim", 4), seed=0, n=1, T=1000)
    for i, t in enumerate((999, 666, 333, 0)):
        record.append(frame(i + 1, 4, t, n=1))
    assert [record.frame_at(t) for t in (999, 998, 667, 666, 500, 1, 0)] == [0, 0, 0, 1, 1, 2, 3]
    assert record.frame_at(1000) is None
    assert ChainRecord(SamplerConfig("ddim", 4), 0, 1, 1000).frame_at(5) is None


def test_a_frame_reads_as_the_paper_s_t():
    record = ChainRecord(SamplerConfig("ddim", 2), seed=0, n=2, T=100)
    for i, t in enumerate((99, 49)):
        record.append(frame(i + 1, 2, t))
    assert [record.paper_t(k) for k in range(2)] == [100, 50]  # the core's 0..T-1 is the paper's 1..T


def test_a_guided_record_keeps_both_noise_predictions_beside_the_guided_one():
    record = GuidedChainRecord(SamplerConfig("ddim", 2), seed=0, n=2, T=100, digit=3, guidance=2.0)
    plain = frame(1, 2, 99)
    rng = np.random.default_rng(7)
    cond, uncond = (rng.normal(size=(2, 28, 28)).astype(np.float32) for _ in range(2))
    fields = {name: getattr(plain, name) for name in ("step", "total_steps", "t", "alpha_bar", "x_t", "eps", "x0_pred")}
    assert record.append(GuidedFrame(**fields, eps_cond=cond, eps_uncond=uncond, guidance=2.0)) == 0
    np.testing.assert_array_equal(record.image(0, "eps_cond", 1), to_grey(cond[1], EPS_RANGE))
    np.testing.assert_array_equal(record.image(0, "eps_uncond", 0), to_grey(uncond[0], EPS_RANGE))
    np.testing.assert_array_equal(record.image(0, "eps", 1), to_grey(plain.eps[1], EPS_RANGE))
    assert (record.digit, record.guidance, record.paper_t(0)) == (3, 2.0, 100)


def streaming(total: int = 5, n: int = 3) -> ChainRecord:
    return ChainRecord(SamplerConfig("ddim", total), seed=0, n=n, T=100)


def test_the_player_follows_a_streaming_chain_until_scrubbed_back():
    state, record = ChainPlayerState(), streaming()
    seen: list[frozenset[str]] = []
    state.changed.connect(seen.append)
    state.start(record)
    assert (state.count, state.frame, state.shows_frame, state.paper_t()) == (0, 0, False, None)
    for i, t in enumerate((99, 79)):
        record.append(frame(i + 1, 5, t, n=3))
    state.sync()
    assert (state.count, state.frame, state.paper_t()) == (2, 1, 80)  # followed to the newest frame
    record.append(frame(3, 5, 59, n=3))
    state.update(frame=0)  # the learner scrubs back while frames still arrive
    state.sync()
    assert (state.count, state.frame) == (3, 0)  # it stays where the learner left it
    seen.clear()
    state.sync()
    assert seen == []  # nothing new: no repaint
    state.update(frame=2)
    record.append(frame(4, 5, 39, n=3))
    state.sync()
    assert seen[-1] == {"count", "frame"} and state.frame == 3  # one notification for both


def test_the_player_selects_only_the_chain_s_samples_and_keeps_a_valid_one_for_the_next_chain():
    state = ChainPlayerState()
    state.select(1)
    assert state.selected == 0  # no chain: nothing to follow
    state.start(streaming(n=3))
    state.select(2)
    state.select(3)
    assert state.selected == 2
    state.start(streaming(n=2))
    assert state.selected == 1


def test_showing_a_chain_clamps_the_frame_to_its_stored_ones():
    state, record = ChainPlayerState(), streaming()
    for i, t in enumerate((99, 79, 59)):
        record.append(frame(i + 1, 5, t, n=3))
    state.show(record, 7)
    assert (state.record, state.count, state.frame) == (record, 3, 2)
    state.show(None)
    assert (state.record, state.count, state.frame, state.shows_frame) == (None, 0, 0, False)


@pytest.fixture(scope="module")
def tiny_model():
    torch.manual_seed(0)
    cfg = DDPMConfig(base_channels=8, timesteps=20)
    return cfg, build_ddpm(cfg).eval()


def test_the_job_runs_both_samplers_from_the_same_x_T_and_matches_sample_chain(tiny_model):
    cfg, model = tiny_model
    from explorer.core.runtime.checkpoints import Checkpoint

    ckpt = Checkpoint("ddpm", {}, model.unet.state_dict())
    samplers = (SamplerConfig("ddpm"), SamplerConfig("ddim", 5))
    items, results = collect(reverse_chains(cfg, weights_of(ckpt), 3, samplers, seed=7))
    assert [i.sampler for i in items] == ["ddpm"] * 20 + ["ddim"] * 5
    assert [i.progress for i in items][-1] == 1.0 and items[0].progress == pytest.approx(1 / 25)
    ddpm, ddim = items[0].frame, items[20].frame
    np.testing.assert_array_equal(ddpm.x_t, ddim.x_t)  # the same x_T
    reference = list(sample_chain(model, model.schedule, 3, samplers[1], seed=7))
    for item, ref in zip(items[20:], reference, strict=True):
        np.testing.assert_allclose(item.frame.x0_pred, ref.x0_pred, atol=1e-6)
    assert results["ddim"].shape == (3, 28, 28)
    assert items[0].summary().startswith("DDPM step 1/20  t 20")


def test_the_job_refuses_bad_requests(tiny_model):
    cfg, model = tiny_model
    weights = {k: v.numpy() for k, v in model.unet.state_dict().items()}
    with pytest.raises(ExplorerError, match="between 1 and 256 samples"):
        next(reverse_chains(cfg, weights, 0))
    with pytest.raises(ExplorerError, match="at least one sampler"):
        next(reverse_chains(cfg, weights, 2, ()))
    with pytest.raises(ConfigError, match="sampler must be one of 'ddpm', 'ddim', 'heun', 'dpm\\+\\+2m', not 'plms'"):
        SamplerConfig("plms")
    # K is capped at the model's T: DDIM-50 on a 20-step model walks all 20.
    assert len(collect(reverse_chains(cfg, weights, 1, (SamplerConfig("ddim", 50),)))[0]) == 20


def test_the_config_round_trips_through_a_checkpoint_record(tiny_model):
    cfg, _ = tiny_model
    from dataclasses import asdict

    assert config_from_dict(DDPMConfig, asdict(cfg)) == cfg


def test_spread_frames_keeps_the_ends():
    assert spread_frames(5, 10) == [0, 1, 2, 3, 4]
    chosen = spread_frames(1000, 11)
    assert len(chosen) == 11 and chosen[0] == 0 and chosen[-1] == 999
    assert set(np.diff(chosen)) <= {99, 100}
    assert spread_frames(7, 1) == [6]
    with pytest.raises(ValueError):
        spread_frames(0, 5)


def filled_record(total: int = 30, n: int = 2) -> ChainRecord:
    record = ChainRecord(SamplerConfig("ddpm"), seed=0, n=n, T=total)
    for i in range(total):
        record.append(frame(i + 1, total, total - 1 - i, n=n))
    return record


def test_the_gif_holds_the_stored_frames_exactly(tmp_path):
    record = filled_record()
    path = save_gif(tmp_path / "chain.gif", record, sample=1, fps=25, most=10)
    expected = gif_frames(record, 1, most=10, scale=4)
    with Image.open(path) as gif:
        assert gif.n_frames == len(expected) == 10
        gif.seek(0)
        first = np.asarray(gif.convert("L"))
        gif.seek(gif.n_frames - 1)
        last = np.asarray(gif.convert("L"))
        assert gif.info["duration"] == 1500  # the last frame is held
    np.testing.assert_array_equal(first, expected[0])
    pictures = last[:-LABEL_HEIGHT]
    np.testing.assert_array_equal(pictures[:, :112], enlarge(record.image(29, "x_t", 1), 4))
    np.testing.assert_array_equal(pictures[:, -112:], enlarge(record.image(29, "x0_pred", 1), 4))
    # Each frame is labelled with its own t beneath the pictures: t = 30 first, t = 1 last.
    assert first[-LABEL_HEIGHT:].max() > 200 and last[-LABEL_HEIGHT:].max() > 200
    assert not np.array_equal(first[-LABEL_HEIGHT:], last[-LABEL_HEIGHT:])
    assert np.array_equal(first[-LABEL_HEIGHT:], labelled(first[:1] * 0, [(0, "t = 30    step 1 / 30")])[1:])


def test_the_png_strip_shows_x_t_above_and_x0_below(tmp_path):
    record = filled_record()
    path = save_strip(tmp_path / "strip.png", record, sample=0, columns=4)
    image = np.asarray(Image.open(path))
    np.testing.assert_array_equal(image, strip(record, 0, columns=4))
    assert image.shape == (3 * (2 * 28 + 2) + LABEL_HEIGHT, 3 * (4 * 28 + 3 * 2))
    np.testing.assert_array_equal(image[:84, :84], enlarge(record.image(0, "x_t", 0), 3))
    np.testing.assert_array_equal(
        image[-84 - LABEL_HEIGHT : -LABEL_HEIGHT, -84:], enlarge(record.image(29, "x0_pred", 0), 3)
    )
    # Under each column its t, written where the column starts: t = 30 under the first, t = 1 under the last.
    band = image[-LABEL_HEIGHT:]
    column = 3 * (28 + 2)
    for j, t in enumerate((30, 20, 11, 1)):
        written = labelled(np.zeros((1, column), np.uint8), [(0, f"t = {t}")])[1:]
        np.testing.assert_array_equal(band[:, j * column : j * column + column - 6], written[:, : column - 6])


def test_exporting_nothing_says_why(tmp_path):
    empty = ChainRecord(SamplerConfig("ddim", 5), 0, 2, 1000)
    with pytest.raises(ValueError, match="no frames yet"):
        save_gif(tmp_path / "x.gif", empty, 0)
    with pytest.raises(ValueError, match="no sample 5"):
        save_strip(tmp_path / "x.png", filled_record(), 5)
    assert not list(tmp_path.iterdir())


def test_a_full_chain_fits_compactly(tiny_model):
    _, model = tiny_model
    items = list(sample_chain(model, model.schedule, 4, SamplerConfig("ddpm"), seed=1))
    record = ChainRecord(SamplerConfig("ddpm"), 1, 4, len(items))
    for f in items:
        record.append(f)
    assert record.images.dtype == np.uint8
    # float32 would take four times as much: 1000 x 3 x 16 x 28 x 28 x 1 byte = 38 MB for the full-size case
    assert record.nbytes * 4 == sum(f.x_t.nbytes + f.eps.nbytes + f.x0_pred.nbytes for f in items)
    assert run_to_end(sample_chain(model, model.schedule, 4, SamplerConfig("ddpm"), seed=1)).shape == (4, 28, 28)
