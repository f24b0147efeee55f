"""The 2-D Lab's flows in the tab: train them live, the layer slider, a click's ledger, the family table."""

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt

from explorer.core.plane.family import FAMILIES, FLOW_LADDER
from explorer.core.plane.flow_matching import FlowMatchingConfig
from explorer.core.plane.lab_state import LabJob
from explorer.core.plane.models import DDPMConfig, ScoreConfig
from explorer.core.plane.realnvp import RealNVPConfig
from explorer.core.plane.reflow import ReflowConfig
from explorer.ui.panels.plane import PlanePanel
from explorer.ui.panels.plane.nfe_plot import FLOW_CURVES
from tests.layout_audit import layout_problems


@pytest.fixture
def panel(open_panel):
    lab = open_panel(PlanePanel, size=(1280, 660))
    lab.runner.in_child = False
    lab.errors = []
    lab.show_error = lab.errors.append
    lab.flow_section.show_error = lab.errors.append
    lab.state.update(
        score_cfg=ScoreConfig(hidden=16, layers=1, steps=30, batch_size=64),
        ddpm_cfg=DDPMConfig(hidden=16, layers=1, T=20, steps=30, batch_size=64),
        sweep_n=200,
    )
    lab.flow_state.update(
        realnvp_cfg=RealNVPConfig(couplings=4, hidden=16, steps=40, batch_size=128),
        fm_cfg=FlowMatchingConfig(hidden=32, layers=2, steps=40, batch_size=128),
        reflow_cfg=ReflowConfig(hidden=32, layers=2, steps=20, batch_size=128, pairs=512, pair_nfe=4),
    )
    return lab


def test_train_all_trains_every_family_live_fills_the_table_and_the_nfe_plot(panel, qtbot):
    flows, lab = panel.flow_state, panel.state
    seen = []  # every family that trained, in order, with a progress line saying how long it had left
    lab.changed.connect(lambda names: seen.append((lab.training, lab.progress)) if "progress" in names else None)
    panel.training_section.train_all.click()
    qtbot.waitUntil(lambda: set(flows.family) == set(FAMILIES), timeout=300000)
    qtbot.waitUntil(lambda: lab.job is LabJob.IDLE and not lab.queue, timeout=300000)
    assert not panel.errors
    assert list(dict.fromkeys(f for f, line in seen if "s left" in line)) == list(FAMILIES)
    assert all(len(lab.losses[f]) >= 1 and lab.losses[f][-1][0] > 1 for f in FAMILIES)  # every family's curve
    table = panel.family_table
    rows = {table.item(r, 0).text(): [table.item(r, c).text() for c in range(1, 6)] for r in range(table.rowCount())}
    assert rows["RealNVP"][2] == "exact" and float(rows["RealNVP"][3]) > 0 and rows["RealNVP"][1] == "1"
    levels = len(panel.state.score_cfg.sigmas())  # annealed Langevin: the same steps at each level, then one
    spent = (1000 - 1) // levels * levels + 1  # denoising step, within the 1,000 evaluations it is judged at
    assert rows["Reflow"][1] == "49" and rows["Score"][1] == str(spent) and rows["DDPM"][1] == "39"
    assert rows["DDPM"][2] == "bound" and float(rows["DDPM"][3]) > 0 and rows["Score"][2:4] == ["none", "—"]
    assert all(row[0].endswith("×") and row[4].endswith(" s") for row in rows.values())
    # The NFE plot after "Train all": the DDPM's samplers and Euler / Heun on both flow-matching fields.
    qtbot.waitUntil(lambda: {p.sampler for p in lab.sweep} >= set(FLOW_CURVES) | {"ddim", "heun"}, timeout=300000)
    assert len(panel.nfe_plot.curves["reflow euler"].getData()[0]) == len(FLOW_LADDER)


def test_the_layer_slider_and_a_click_show_the_realnvp_and_its_ledger(panel, qtbot):
    flows, section = panel.flow_state, panel.flow_section
    section.train_realnvp.click()
    qtbot.waitUntil(lambda: flows.realnvp is not None and panel.state.job is LabJob.IDLE, timeout=120000)
    # The layer slider: the base Gaussian at 0, the model's samples at K, the canvas showing each stage.
    flows.update(view="layers")
    qtbot.waitUntil(lambda: len(section._stages) == 5, timeout=20000)
    section.layer.setValue(0)
    base = panel.canvas.particles.getData()[0].copy()
    section.layer.setValue(4)
    assert flows.layer == 4 and section.layer_label.text() == "layer 4 of 4"
    assert not np.allclose(panel.canvas.particles.getData()[0], base)
    assert np.allclose(panel.canvas.particles.getData()[0], section._stages[4].samples[:, 0])
    # A click on the canvas: the ledger's terms, summing to the model's log p.
    scene = panel.canvas.view_point(1.0, -1.0)
    qtbot.mouseClick(panel.canvas.viewport(), Qt.MouseButton.LeftButton, pos=panel.canvas.mapFromScene(scene))
    qtbot.waitUntil(lambda: len(flows.ledger) == 6, timeout=5000)
    x, y = (float(v) for v in flows.ledger[-1].split("x = (")[1].split(")")[0].split(","))
    assert abs(x - 1.0) < 0.05 and abs(y + 1.0) < 0.05  # the clicked point, within a pixel or two
    with torch.no_grad():
        log_p = float(flows.realnvp.net.log_prob(torch.tensor([[x, y]]))[0])
    assert abs(float(flows.ledger[-1].split()[-2]) - log_p) < 1e-2  # the terms sum to the model's log p
    assert section.ledger.text().count("log|det J_") == 4


def test_the_tab_with_flows_fits_1280x720(panel, qtbot):
    panel.resize(1280, 660)
    qtbot.wait(20)
    assert layout_problems(panel) == []
