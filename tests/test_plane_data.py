"""The 2-D Lab's data: presets, CSV round trips and refusals, fingerprints, the exact mixture's density and score."""

import math

import numpy as np
import pytest

from explorer.core.plane.data import (
    KNOWN_MIXTURE,
    MAX_POINTS,
    PRESETS,
    RING,
    fingerprint,
    load_data,
    load_points_csv,
    make_preset,
    preset_mixture,
    save_points_csv,
)
from explorer.core.plane.mixture import (
    GaussianMixture,
    mixture_log_density,
    mixture_score,
    mode_shares,
    responsibilities,
    sample_mixture,
)
from explorer.core.runtime.errors import DataError


@pytest.mark.parametrize("name", PRESETS)
def test_presets_are_reproducible_and_inside_the_box(name):
    a, b = make_preset(name, 500, seed=3), make_preset(name, 500, seed=3)
    assert a.shape == (500, 2) and a.dtype == np.float32 and np.array_equal(a, b)
    assert not np.array_equal(a, make_preset(name, 500, seed=4))
    assert np.abs(a).max() < 4.0 and a.std() > 0.5


def test_checkerboard_fills_only_the_dark_squares():
    cells = np.floor(make_preset("checkerboard", 4000) + 2.0).astype(int)
    assert ((cells[:, 0] + cells[:, 1]) % 2 == 0).all() and len({tuple(c) for c in cells}) == 8


def test_csv_round_trip_with_header(tmp_path):
    points = make_preset("moons", 300)
    path = save_points_csv(tmp_path / "moons.csv", points)
    assert path.read_text().splitlines()[0] == "x,y"
    back = load_points_csv(path)
    assert np.allclose(back, points, atol=1e-6) and fingerprint(back) == fingerprint(points)
    (tmp_path / "plain.csv").write_text("1,2\n\n 3.5 , -4\n")
    assert load_points_csv(tmp_path / "plain.csv").tolist() == [[1, 2], [3.5, -4]]


@pytest.mark.parametrize(
    "text, says",
    [
        ("x,y\n1,2\n3,oops\n", "line 3: expected two numbers x,y, found '3,oops'"),
        ("1,2,3\n", "line 1: expected two numbers"),
        ("1,2\nnan,1\n", "line 2: the point 'nan,1' is not finite"),
        ("x,y\n", "holds no points"),
        ("1,2\n\x1b[31m,\n", "line 2: expected two numbers x,y, found '\\x1b[31m,'"),
    ],
)
def test_bad_csv_files_fail_with_one_line_naming_the_line(tmp_path, text, says):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataError) as info:
        load_points_csv(path)
    assert says in str(info.value) and "\n" not in str(info.value)


def test_csv_over_the_point_limit_is_refused(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("0,0\n" * (MAX_POINTS + 1))
    with pytest.raises(DataError, match="more than 100,000 points"):
        load_points_csv(path)
    with pytest.raises(DataError, match="not a text"):
        (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00")
        load_points_csv(tmp_path / "bin.csv")


def test_load_data_takes_a_preset_or_a_csv(tmp_path):
    assert load_data("spiral", n=100).source == "spiral"
    save_points_csv(tmp_path / "d.csv", np.zeros((4, 2)))
    data = load_data(str(tmp_path / "d.csv"))
    assert data.source == "d.csv" and data.points.shape == (4, 2) and len(data.fingerprint) == 16
    with pytest.raises(DataError, match="--data takes a preset"):
        load_data("nothing")


def test_mixture_density_integrates_to_one_and_score_is_its_gradient():
    for mix in (KNOWN_MIXTURE, RING):
        for sigma in (0.0, 0.5):
            grid = np.linspace(-6, 6, 301)
            xx, yy = np.meshgrid(grid, grid)
            pts = np.stack([xx.ravel(), yy.ravel()], 1)
            mass = np.exp(mixture_log_density(mix, pts, sigma)).sum() * (grid[1] - grid[0]) ** 2
            assert mass == pytest.approx(1.0, abs=2e-3)
            x = np.array([[0.3, -0.7], [2.0, 1.0]])
            h = 1e-5
            numeric = np.stack(
                [
                    (mixture_log_density(mix, x + d, sigma) - mixture_log_density(mix, x - d, sigma)) / (2 * h)
                    for d in (np.array([h, 0]), np.array([0, h]))
                ],
                1,
            )
            assert np.allclose(mixture_score(mix, x, sigma), numeric, atol=1e-5)


def test_one_gaussian_has_the_closed_form_score_and_entropy():
    one = GaussianMixture(means=np.array([[1.0, 2.0]]), stds=np.array([0.5]), weights=np.array([1.0]))
    x = np.array([[0.0, 0.0]])
    assert np.allclose(mixture_score(one, x, sigma=0.5), (one.means - x) / 0.5)  # (μ − x)/(s² + σ²)
    assert mixture_log_density(one, one.means)[0] == pytest.approx(-math.log(2 * math.pi * 0.25))


def test_mode_shares_match_the_weights_of_a_large_sample():
    points = sample_mixture(KNOWN_MIXTURE, 20000, np.random.default_rng(0))
    assert np.allclose(mode_shares(KNOWN_MIXTURE, points), KNOWN_MIXTURE.weights, atol=0.015)
    assert np.allclose(responsibilities(RING, RING.means).argmax(1), np.arange(8))
    assert preset_mixture("moons") is None and preset_mixture("ring") is RING
