"""The Diffusion, PixelCNN and guidance tabs' states, without Qt: the request a learner sets builds the job the
panel runs, and the running job (an enum) says which actions are open."""

import dataclasses

import numpy as np
import pytest

from explorer.core.conditional.cddpm import CDDPMConfig
from explorer.core.conditional.cddpm_state import CDDPMJob, CDDPMState, guidance_sweep_job, guided_job
from explorer.core.conditional.sweep import SWEEP
from explorer.core.diffusion import DDPMConfig, SamplerConfig
from explorer.core.diffusion.chain_record import ChainRecord
from explorer.core.diffusion.panel_state import DiffusionJob, DiffusionState, chains_job
from explorer.core.diffusion.sampler import ChainFrame
from explorer.core.pixelcnn.model import PixelCNNConfig
from explorer.core.pixelcnn.panel_state import PixelCNNJob, PixelCNNState
from explorer.core.runtime.limits import ConfigError

WEIGHTS = {"w": np.zeros(1, np.float32)}


def filled(record: ChainRecord) -> ChainRecord:
    """``record`` with every frame stored (blank pictures): a complete chain."""
    blank = np.zeros((record.n, 28, 28), np.float32)
    for k in range(record.total_steps):
        record.append(ChainFrame(k + 1, record.total_steps, 0, 0.5, blank, blank, blank))
    return record


def test_the_sampling_request_takes_its_limits_from_the_sampler_config():
    """K and η are declared once, in SamplerConfig: the request's fields carry the same limits and defaults."""
    declared = {f.name: f for f in dataclasses.fields(SamplerConfig)}
    for f in dataclasses.fields(DiffusionState):
        if f.name in ("sampler", "steps", "eta"):
            assert f.metadata == declared[f.name].metadata and f.default == declared[f.name].default
    state = DiffusionState()
    assert state.sampler_config() == SamplerConfig()
    state.update(steps=4001)
    with pytest.raises(ConfigError, match="steps"):
        state.sampler_config()


def test_the_diffusion_state_builds_the_chains_job_the_chosen_sampler_first():
    state = DiffusionState()
    heard = []
    state.changed.connect(heard.append)
    state.update(n=3, seed=9, sampler="ddpm", steps=20, eta=0.25)
    assert heard == [frozenset({"n", "seed", "sampler", "steps", "eta"})]
    records = state.new_chains(("ddim", "ddpm"), 100)
    assert [r.sampler for r in records] == ["ddpm", "ddim"]  # the chain on show fills first
    assert records[1].config == SamplerConfig("ddim", 20, 0.25) and records[0].total_steps == 100
    job = chains_job(records, DDPMConfig(timesteps=100), WEIGHTS, "cpu")
    assert (job.kwargs["n"], job.kwargs["seed"], job.kwargs["device"]) == (3, 9, "cpu")
    assert job.kwargs["samplers"] == (SamplerConfig("ddpm", 20, 0.25), SamplerConfig("ddim", 20, 0.25))


def test_a_stored_chain_counts_for_the_request_only_when_complete_and_of_its_settings():
    state = DiffusionState(n=2, seed=4, sampler="ddim", steps=5)
    ddim, ddpm = (filled(r) for r in state.new_chains(("ddim", "ddpm"), 10))
    assert state.stores(ddim) and state.stores(ddpm)
    assert not state.stores(ChainRecord(state.sampler_config(), 4, 2, 10))  # no frame yet
    state.update(eta=0.5)
    assert not state.stores(ddim) and state.stores(ddpm)  # DDPM walks all T with its own noise whatever K and η
    state.update(seed=5)
    assert not state.stores(ddpm)


def test_the_running_job_opens_and_closes_the_diffusion_actions():
    state = DiffusionState()
    assert state.can_sample(True) and not state.can_sample(False) and state.can_train and not state.can_cancel
    state.update(busy=True, job=DiffusionJob.CHAIN)
    assert state.can_cancel and not state.can_sample(True) and not state.can_train
    for other in (DiffusionJob.BOUND, DiffusionJob.TRAINING, None):  # Cancel stops a chain of ours only
        state.update(job=other)
        assert not state.can_cancel


def test_a_bound_asked_while_the_runner_is_busy_waits_and_a_new_model_forgets_it():
    state = DiffusionState(busy=True, job=DiffusionJob.CHAIN)
    state.update(bound_waiting=7, bound_asked=True)
    assert not state.bound_due  # the chain still runs
    state.update(busy=False, job=None)
    assert state.bound_due
    heard = []
    state.changed.connect(heard.append)
    state.new_model()
    assert heard == [frozenset({"bound_waiting", "bound_asked"})] and not state.bound_due and not state.bound_asked


def test_the_guidance_state_builds_the_guided_chain_and_the_sweep():
    state = CDDPMState()
    state.update(n=4, seed=2, digit=3, w=2.5, sampler="dpm++2m", steps=8, sweep_n=12)
    assert state.text() == "4 × 3 with w = 2.5"
    record = state.new_chain(50)
    assert (record.digit, record.guidance, record.n, record.seed) == (3, 2.5, 4, 2)
    cfg = CDDPMConfig(timesteps=50)
    chain = guided_job(record, cfg, WEIGHTS, None)
    assert chain.kwargs["sampler"] == SamplerConfig("dpm++2m", 8) and chain.kwargs["guidance"] == 2.5
    sweep = guidance_sweep_job(state, cfg, WEIGHTS, None)
    assert (sweep.kwargs["digit"], sweep.kwargs["n"], sweep.kwargs["seed"]) == (3, 12, 2)
    assert sweep.kwargs["sampler"] == SamplerConfig("ddim", 8, state.eta) and sweep.kwargs["guidances"] == SWEEP


def test_a_running_guided_chain_leaves_sample_open_but_not_the_sweep():
    state = CDDPMState(busy=True, job=CDDPMJob.CHAIN)
    assert state.can_sample(True) and not state.can_sweep(True) and not state.can_train
    state.update(busy=False, job=None)
    assert state.can_sweep(True) and not state.can_sweep(False) and state.can_train


def test_the_pixelcnn_state_builds_the_writing_and_the_completion():
    state = PixelCNNState()
    state.update(n=5, seed=7, completions=3, keep_rows=2)
    cfg = PixelCNNConfig()
    write = state.job_for(PixelCNNJob.WRITE, cfg, WEIGHTS, "cpu")
    assert (write.kwargs["n"], write.kwargs["seed"]) == (5, 7) and "given" not in write.kwargs
    drawing = np.random.default_rng(0).random((28, 28)).astype(np.float32)
    complete = state.job_for(PixelCNNJob.COMPLETE, cfg, WEIGHTS, "cpu", drawing)
    given, known = complete.kwargs["given"], complete.kwargs["known"]
    assert complete.kwargs["n"] == 3 and given.shape == known.shape == (3, 28, 28)
    assert np.array_equal(given[2], drawing) and known[:, :3].all() and not known[:, 3:].any()  # rows 0-2 kept
    state.update(keep_rows=0)
    assert not state.known().any()  # keep nothing
    with pytest.raises(ValueError, match="not a job"):
        state.job_for(PixelCNNJob.TRAINING, cfg, WEIGHTS, "cpu")


@pytest.mark.parametrize("job", list(PixelCNNJob))
def test_cancel_stops_the_pixelcnn_samplers_not_training(job):
    state = PixelCNNState(busy=True, job=job)
    assert state.can_cancel == (job is not PixelCNNJob.TRAINING)
    assert not state.can_start(True) and not state.can_train
