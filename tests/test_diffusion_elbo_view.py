"""The Diffusion panel's ELBO tab, driven as a learner would: choose t and a pixel, see the two Gaussians and their
KL; open the tab, and the bound of the digit fills in term by term, its sum the bound printed."""

import math
import re

import numpy as np
import pytest
import torch

from explorer.core.diffusion import DDPMConfig, train_ddpm
from explorer.core.diffusion.elbo import forward_noise, kl_gaussian, p_mean, q_posterior
from explorer.core.diffusion.elbo_trace import to_model_space
from explorer.core.runtime.checkpoints import save_checkpoint
from explorer.core.runtime.jobs import run_to_end
from explorer.ui.panels.diffusion import DiffusionPanel

TINY = DDPMConfig(base_channels=8, steps=3, train_limit=256, timesteps=100)


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    ckpt = run_to_end(train_ddpm(TINY, device="cpu"))
    return save_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny-ddpm.safetensors", ckpt)


@pytest.fixture
def panel(open_panel, tiny_checkpoint):
    panel = open_panel(DiffusionPanel)
    panel.load_checkpoint(tiny_checkpoint)
    return panel


def printed(pattern: str, text: str) -> float:
    match = re.search(pattern, text)
    assert match, (pattern, text)
    return float(match.group(1))


def test_choosing_t_moves_the_two_gaussians_and_their_kl(panel, qtbot):
    elbo = panel.elbo_section
    digit, (r, c) = 0, (10, 15)
    elbo.state.update(pixel=(r, c), t=40)
    qtbot.waitUntil(lambda: elbo.step is not None and "t = 40" in elbo.formula.text())
    before = {name: ys.copy() for name, (_, ys) in elbo.gaussians.curves().items()}
    kl_before = printed(r"KL = ([-0-9.e+]+) nats", elbo.formula.text())

    # The numbers shown are the closed forms at this pixel: q(x_{t-1} | x_t, x_0) and p_theta's step from eps_theta.
    schedule, i = panel.model.schedule, 39
    x0 = to_model_space(panel.test.images[digit])
    eps = forward_noise(TINY.timesteps, (1, 28, 28))[i : i + 1]
    abar = schedule.alphas_cumprod[i]
    x_t = abar.sqrt() * x0 + (1 - abar).sqrt() * eps
    with torch.inference_mode():
        eps_theta = panel.model(x_t, torch.tensor([i]))
    q_mean, q_var = q_posterior(schedule, x0, x_t, i)
    mean = p_mean(schedule, eps_theta, x_t, i)
    kl = float(kl_gaussian(q_mean[0, 0, r, c], q_var, mean[0, 0, r, c], schedule.betas[i].item()))
    assert kl_before == pytest.approx(kl, rel=2e-3)
    xs, q_curve = elbo.gaussians.curves()["q"]
    assert xs[np.argmax(q_curve)] == pytest.approx(float(q_mean[0, 0, r, c]), abs=2 * (xs[1] - xs[0]))
    # Summed over the 784 pixels, the KLs are the term L_{t-1} the formula prints.
    assert printed(r"L_39 = ([-0-9.e+]+)", elbo.formula.text()) == pytest.approx(float(elbo.step.term[0]), rel=1e-3)

    elbo.t_slider.setValue(80)  # the learner drags t
    qtbot.waitUntil(lambda: "t = 80" in elbo.formula.text())
    after = {name: ys for name, (_, ys) in elbo.gaussians.curves().items()}
    assert elbo.state.t == 80 and elbo.terms_plot.t_line.value() == 80
    assert all(not np.array_equal(before[name], after[name]) for name in ("q", "p"))
    assert printed(r"KL = ([-0-9.e+]+) nats", elbo.formula.text()) != kl_before

    elbo.state.update(t=1)  # t = 1: the decoder's term, q a point at x_0
    qtbot.waitUntil(lambda: "t = 1</b>" in elbo.formula.text())
    assert "L_0 = " in elbo.formula.text() and elbo.gaussians.bin.isVisible()


def test_the_terms_fill_after_the_job_and_sum_to_the_printed_bound(panel, qtbot):
    elbo = panel.elbo_section
    panel.chain_section.controls.seed.setValue(3)
    panel.start_chain()  # the runner is busy: the bound waits for it
    panel.centre_tabs.setCurrentWidget(elbo)  # the first look asks for the bound of the digit on show
    assert "starts when the running job" in elbo.bound_info.text()
    qtbot.waitUntil(lambda: 0 in elbo.traces and elbo.traces[0].complete and not panel.runner.busy, timeout=120000)
    trace = elbo.traces[0]
    shown = elbo.terms_plot.shown
    assert len(shown["steps"]) == TINY.timesteps - 1 and np.all(np.isfinite(shown["steps"]))
    assert np.all(shown["steps"] >= 0) and len(shown["ends"]) == 2  # L_0 and L_T
    total = trace.terms().total
    assert elbo.terms_plot.plotted_sum() == pytest.approx(total, rel=1e-9)
    text = elbo.bound_info.text()
    assert printed(r"= ([0-9.]+) nats", text) == pytest.approx(total, abs=0.006)
    assert printed(r"= ([0-9.]+) bits/dim", text) == pytest.approx(total / (784 * math.log(2)), abs=6e-4)
    assert not elbo.compute_button.isEnabled()  # computed: kept for this digit

    elbo.state.update(t=30)  # the Gaussians at t are the very ones the plotted term sums
    qtbot.waitUntil(lambda: "t = 30" in elbo.formula.text())
    assert float(elbo.step.per_pixel.double().sum()) == pytest.approx(trace.term[29], rel=1e-6)

    elbo.state.update(digit=1)  # another digit: its bound is not there yet ...
    assert elbo.compute_button.isEnabled() and not np.isfinite(elbo.terms_plot.shown["steps"]).any()
    elbo.state.update(digit=0)  # ... and the first one's comes back from the cache, with no job
    assert not panel.runner.busy and elbo.terms_plot.plotted_sum() == pytest.approx(total, rel=1e-9)


@pytest.mark.parametrize("size", [(1280, 720), (1024, 600)], ids=["1280x720", "minimum"])
def test_the_elbo_tab_and_a_stopped_runs_model_line_fit_a_laptop_screen(qtbot, size):
    from layout_audit import layout_problems
    from PySide6.QtCore import QSize

    from explorer.ui.main_window import MainWindow
    from explorer.ui.panels.model_panel import RESTORED

    window = MainWindow(device="cpu")
    qtbot.addWidget(window)
    window.load_shipped_checkpoints()
    window.show_panel("diffusion")
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    panel = window.panels["diffusion"]
    window.runners["pixelcnn"].stop()
    panel.centre_tabs.setCurrentWidget(panel.elbo_section)  # the shipped model's bound: 1000 passes
    qtbot.waitUntil(lambda: not window.busy and panel.elbo_section.traces[0].complete, timeout=300000)
    panel.model_info.setText(panel.describe(panel.checkpoint) + RESTORED)  # what a stopped training run leaves
    qtbot.wait(50)
    assert window.size() == QSize(*size)
    assert layout_problems(window) == []  # nothing overlaps, no text is cut (the panel scrolls at the minimum)
