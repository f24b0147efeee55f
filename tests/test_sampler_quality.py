"""The quality-against-NFE record: measured by the project's FID, written, read back, and plotted by the
Diffusion panel; the sampler controls and the schedule plot that go with it."""

import json

import numpy as np
import pytest
import torch

from explorer.core.diffusion import DDPMConfig, SamplerConfig, build_ddpm, make_schedule
from explorer.core.diffusion.quality_curve import CurvePoint, QualityCurve, measure_curve, read_curve, write_curve
from explorer.core.evaluation.classifier import embed, load_classifier
from explorer.core.runtime.data import load_mnist
from explorer.core.runtime.jobs import run_to_end
from explorer.ui.panels.diffusion.quality_section import QualitySection
from explorer.ui.panels.diffusion.sampler_controls import SamplerControls
from explorer.ui.widgets.schedule_plot import SchedulePlot


def curve(points) -> QualityCurve:
    return QualityCurve(tuple(points), 0, "abc", "2026-12-07T05:00:00+00:00", {}, {"500": 9.5})


POINTS = [CurvePoint("ddim", k, 0.0, 500, fid, 0.95, 1.0) for k, fid in ((5, 60.0), (10, 30.0), (50, 12.0))]
POINTS += [CurvePoint("dpm++2m", k, 0.0, 500, fid, 0.95, 1.0) for k, fid in ((5, 25.0), (10, 13.0), (50, 11.0))]


def test_the_record_round_trips_and_a_bad_one_reads_as_none(tmp_path):
    path = tmp_path / "q.json"
    write_curve(path, curve(POINTS))
    back = read_curve(path)
    assert back == curve(POINTS)
    assert [p.nfe for p in back.series(500)["DPM-Solver++(2M)"]] == [5, 10, 50]
    for text in ("not json", json.dumps({"format": 99}), json.dumps({"format": 1, "points": [{"sampler": "x"}]})):
        path.write_text(text)
        assert read_curve(path) is None
    assert read_curve(tmp_path / "absent.json") is None


def test_each_point_is_scored_as_eval_scores_it():
    torch.manual_seed(0)
    model = build_ddpm(DDPMConfig(timesteps=20, base_channels=8, depth=1)).eval()
    judge, _ = load_classifier()
    reference, _ = embed(judge, load_mnist("test").floats()[:200])
    plan = [(SamplerConfig("dpm++2m", 4), 60), (SamplerConfig("heun", 4), 60)]
    points = run_to_end(measure_curve(model, plan, reference, judge, seed=2))
    assert [(p.sampler, p.nfe, p.n) for p in points] == [("dpm++2m", 4, 60), ("heun", 4, 60)]
    assert all(p.fid > 0 and 0 < p.confidence <= 1 for p in points) and points[0].fid != points[1].fid


def test_the_panel_section_plots_the_record_and_says_what_it_shows(qtbot):
    section = QualitySection()
    qtbot.addWidget(section)
    section.show_curve(None)
    assert "No quality record yet" in section.info.text()
    section.show_curve(curve(POINTS))
    x, y = section.curves["DPM-Solver++(2M)"].xData, section.curves["DPM-Solver++(2M)"].yData
    assert list(x) == [5, 10, 50] and list(y) == [25.0, 13.0, 11.0]
    assert section.floor_line.isVisible() and section.floor_line.value() == pytest.approx(np.log10(9.5))
    text = section.info.text()
    assert "N = 500" in text and "DPM++(2M), 10." in text  # 13 <= 1.15 * 12, at fewer NFE than DDIM's 50


def test_the_controls_ask_for_k_evaluations_and_eta_only_of_ddim(qtbot):
    controls = SamplerControls()
    qtbot.addWidget(controls)
    for sampler, k_on, eta_on in (
        ("ddpm", False, False),
        ("ddim", True, True),
        ("heun", True, False),
        ("dpm++2m", True, False),
    ):
        controls.sampler.setCurrentIndex(controls.sampler.findData(sampler))
        assert (controls.ddim_steps.isEnabled(), controls.eta.isEnabled()) == (k_on, eta_on), sampler
    controls.ddim_steps.setValue(9)
    assert controls.state.sampler_config("heun") == SamplerConfig("heun", 9)  # the form writes the request


def test_the_schedule_plot_writes_abar_T(qtbot):
    plot = SchedulePlot()
    qtbot.addWidget(plot)
    for T in (100, 1000):
        plot.set_schedule(make_schedule("linear", T))
        assert plot.abar_T_label.toPlainText() == f"ᾱ_T = {make_schedule('linear', T).alphas_cumprod[-1]:.1e}"
    assert float(plot.abar_T_label.toPlainText().split("= ")[1]) < 1e-3


def test_the_1000_step_ddpm_is_drawn_at_its_own_n_and_named_at_another(qtbot):
    section = QualitySection()
    qtbot.addWidget(section)
    line = {"fid": 4.11, "source": "gen-explorer eval ddpm -n 5000 --sampler ddpm"}
    elsewhere = QualityCurve(tuple(POINTS), 0, "abc", "2026-12-07T05:00:00+00:00", {"5000": line}, {"500": 9.5})
    section.show_curve(elsewhere)
    assert not section.reference_line.isVisible()  # FID at N = 5,000 is not comparable with N = 500's points
    assert "1000-step DDPM: 4.11 at N = 5,000." in section.info.text() and "not drawn" in section.info.toolTip()
    here = QualityCurve(tuple(POINTS), 0, "abc", "2026-12-07T05:00:00+00:00", {"500": dict(line, fid=10.5)}, {})
    section.show_curve(here)
    assert section.reference_line.isVisible() and section.reference_line.value() == pytest.approx(np.log10(10.5))
    assert "1000-step DDPM 10.50, dotted." in section.info.text()
