"""Benchmark the Likelihood tab on this machine's CPU and print the numbers.

    python benchmarks/likelihood_speed.py [--repeats 200]

1. EM: 2,000 points, K = 5, full covariances, 100 iterations (E + M), with and without the
   per-step snapshots the view shows, in wall time and in CPU time;
2. choosing K on the 2-D Lab's known mixture: EM (best of 3 starts, 200 iterations) on 2,000 points for
   K = 1..6, the held-out NLL on
   100,000 fresh points beside the true entropy (Monte Carlo on 1,000,000 points) and the paired
   gap (held-out NLL − the true NLL of the same points);
3. repaint: each section's interaction, from the state change to what changed painted (p50/p99), in
   wall time and in this process's CPU time (on a shared, loaded machine the wall time mostly waits
   for a core; the CPU time is what the repaint costs).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np
from PySide6.QtWidgets import QApplication
from timing import stats

from explorer.core.likelihood.gmm import EMConfig, Mixture, em, fit_mixture, point_log_density, sample_mixture
from explorer.core.likelihood.states import known_mixture
from explorer.core.plane.data import make_preset


def em_speed(repeats: int = 5) -> None:
    rng = np.random.default_rng(0)
    true = Mixture(
        np.full(5, 0.2),
        rng.uniform(-3, 3, (5, 2)),
        np.stack([np.cov(rng.normal(size=(2, 4))) + 0.05 * np.eye(2) for _ in range(5)]),
    )
    x = sample_mixture(true, 2000, rng)
    cfg = EMConfig(components=5, iterations=100, restarts=1)
    for name, run in (
        ("fit_mixture (the CLI's path)", lambda: fit_mixture(x, cfg)),
        ("em() with a snapshot per step (the view's path)", lambda: list(em(x, cfg))),
    ):
        wall, cpu = [], []
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            run()
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        print(
            f"EM, 2,000 points, K = 5, 100 iterations, {name}: wall best {min(wall):.3f} s, median "
            f"{np.median(wall):.3f} s; CPU best {min(cpu):.3f} s, median {np.median(cpu):.3f} s (n={repeats})"
        )


def choose_k() -> None:
    truth = known_mixture()
    train = make_preset("mixture", 2000, 0).astype(np.float64)
    held = sample_mixture(truth, 100_000, np.random.default_rng(1))
    big = sample_mixture(truth, 1_000_000, np.random.default_rng(2))
    log_p = point_log_density(big, truth)
    entropy, err = -log_p.mean(), log_p.std() / np.sqrt(len(big))
    true_nll_held = -point_log_density(held, truth).mean()
    print(
        f"known mixture: true entropy H = {entropy:.4f} ± {err:.4f} nats (Monte Carlo, 10^6 points); "
        f"true NLL of the 100,000 held-out points {true_nll_held:.4f}"
    )
    for K in range(1, 7):
        theta = fit_mixture(train, EMConfig(components=K, iterations=200, restarts=3))
        nll = -point_log_density(held, theta).mean()
        print(
            f"  K = {K}: held-out NLL {nll:.4f}  − H = {nll - entropy:+.4f}   paired (− true NLL of the same "
            f"points) = {nll - true_nll_held:+.4f} nats"
        )


def repaint(repeats: int) -> None:
    from explorer.ui.panels.likelihood import LikelihoodPanel

    app = QApplication.instance() or QApplication([])
    panel = LikelihoodPanel(runner=None)
    panel.resize(1280, 720)
    panel.show()
    kde = panel.states["kde"]
    while kde.curve is None:
        app.processEvents()
        time.sleep(0.01)
    rng = np.random.default_rng(0)

    def measure(tab: int, name: str, change) -> None:
        panel.tabs.setCurrentIndex(tab)
        app.processEvents()
        wall, cpu = [], []
        for i in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            change(i)
            app.processEvents()  # the repaint of what changed
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        print(f"  {name:<46} wall {stats(wall[5:])}\n  {'':<46} CPU  {stats(cpu[5:])}")

    ball, em_state, vi, markov = (panel.states[k] for k in ("bayes", "em", "vi", "markov"))
    print("repaint at 1280x720, from the state change to what changed painted:")
    measure(0, "ML and Bayes: add a draw", lambda i: ball.add_draw(bool(i % 3)) if i < 900 else None)
    measure(0, "ML and Bayes: drag θ", lambda i: ball.set_probe(0.05 + 0.9 * (i % 50) / 50))
    measure(1, "EM: one step (E or M) on 2,000 points, K = 3", lambda i: em_state.step())
    measure(
        1,
        "EM: one brush stroke (6 points, EM restarts)",
        lambda i: panel.em._on_stroke(-2 + 4 * (i % 97) / 97, 0.5, False),
    )
    panel.states["em data"].update(points=make_preset("mixture", 2000, 0), source="mixture")
    em_state.set_request(components=5)
    measure(1, "EM: one step (E or M) on 2,000 points, K = 5", lambda i: em_state.step())
    measure(2, "VI: one Play tick (4 Adam steps)", lambda i: vi.step(4))
    measure(2, "VI: move the observation x (new posterior)", lambda i: vi.set_observation(tuple(rng.uniform(-3, 3, 2))))
    toy = panel.states["vi toy"]
    panel.variational.show_toy(True)
    measure(2, "VI toy: one Play tick (4 Adam steps)", lambda i: toy.step(4))
    measure(
        2,
        "VI toy: add or remove an observation x",
        lambda i: toy.add_observation(rng.uniform(-1, 5)) if i % 2 == 0 else toy.remove_observation_near(toy.xs[-1]),
    )
    measure(3, "KDE: drag the bandwidth", lambda i: kde.set_bandwidth_index(i % 41))
    measure(4, "Markov: drag n", lambda i: markov.update(steps=i % 51))
    measure(4, "Markov: drag the diffusion step t", lambda i: markov.update(t=(7 * i) % 1001))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--only", choices=("em", "k", "repaint"), help="run one part only")
    args = parser.parse_args()
    if args.only in (None, "em"):
        em_speed()
    if args.only in (None, "k"):
        choose_k()
    if args.only in (None, "repaint"):
        repaint(args.repeats)


if __name__ == "__main__":
    main()
