"""GANPanel: watch a generator G and a discriminator D play their game, move by move.

What it teaches: D learns to tell real digits from G's fakes while G learns to fool D.
Single steps of either player, slow motion and the 2-D toy game show how each move changes
the other's footing; at the equilibrium D can only guess, D(x) = D(G(z)) = 1/2.
"""

from __future__ import annotations

import copy
from dataclasses import asdict
from functools import partial

import numpy as np
import torch
from PySide6.QtWidgets import QHBoxLayout, QStackedWidget, QWidget

from explorer.core.gan import GANConfig, GANSnapshot, discriminator_from_checkpoint, drawn_classes
from explorer.core.gan.nets import DCGANGenerator, ToyGenerator
from explorer.core.gan.panel_state import Command, GamePhase, GANPanelState
from explorer.core.runtime.checkpoints import Checkpoint
from explorer.core.runtime.jobs import Job
from explorer.ui.off_thread import LatestOnly
from explorer.ui.panels.gan.digits_page import DigitsPage
from explorer.ui.panels.gan.game_controls import GameControls
from explorer.ui.panels.gan.game_plots import GamePlots
from explorer.ui.panels.gan.game_settings import MODES
from explorer.ui.panels.gan.toy_plane import ToyPage
from explorer.ui.panels.model_panel import ModelPanel
from explorer.ui.panels.run_record import earlier_steps, steps_text, trained_text
from explorer.ui.refresh import StaggeredRefresh
from explorer.ui.widgets.curve_plot import CurvePlot
from explorer.ui.widgets.image_grid import tile
from explorer.ui.widgets.scroll_column import scroll_column
from explorer.ui.worker import Runner


def nets_text(cfg: dict) -> str:
    """The DCGAN's size (its config as a dict): "64 channels", "64 channels + 1 residual block" (at each
    of 7×7 and 14×14, in G and in D; the short form keeps the model text in its box on a laptop screen)."""
    depth = cfg.get("depth", 0)
    blocks = f" + {depth} residual block{'s' if depth != 1 else ''}" if depth else ""
    return f"{cfg.get('channels', '?')} channels{blocks}"


def stabilisers(cfg: dict) -> str:
    """The tricks beyond the DCGAN recipe a game (its config as a dict) was played with
    (", spectral norm in D, real labels 0.9, D's rate 4× G's, G averaged (EMA 0.999)"), or ""."""
    text = ", spectral norm in D" if cfg.get("mode") == "mnist" and cfg.get("d_norm") == "spectral" else ""
    text += f", real labels {1 - cfg['label_smoothing']:g}" if cfg.get("label_smoothing") else ""
    lr_g, lr_d = cfg.get("lr_g"), cfg.get("lr_d")
    text += f", D's rate {lr_d / lr_g:.3g}× G's" if lr_g and lr_d and lr_d != lr_g else ""
    return text + (f", G averaged (EMA {cfg['ema']:g})" if cfg.get("ema") else "")


class GANPanel(ModelPanel):
    """Training controls with single steps and slow motion, live curves and histograms, the
    fixed-noise sample grid and its filmstrip (or the toy plane), and a sampler for a trained G."""

    title = "GAN"
    checkpoint_kind = "gan"
    keeps_stopped_run = True  # a stopped game's curves, filmstrip and histograms stay for review

    def __init__(self, runner: Runner, device: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(runner, device, parent)
        # each game's loaded generator: mode -> (G, its config, its checkpoint)
        self.games: dict[str, tuple[DCGANGenerator | ToyGenerator, GANConfig, Checkpoint | None]] = {}
        self.generator: DCGANGenerator | ToyGenerator | None = None  # the MNIST generator to sample from
        self.state = GANPanelState(busy=runner.busy, paused=runner.paused)  # the game asked for and the one played
        self.snapshot: GANSnapshot | None = None  # the latest one
        self.discriminator: torch.nn.Module | None = None  # a trained toy D, for its heat map
        self.sample_seed = 0
        self.refresh = StaggeredRefresh(parent=self)
        self._build()
        self.meter = LatestOnly(self.dashboard.classes)  # the loaded G's digits, counted off the GUI thread
        self._connect()
        runner.busy_changed.connect(self._on_runner_changed)
        runner.paused_changed.connect(self._on_runner_changed)
        self.state.changed.connect(self._on_state_changed)
        self._on_mode_changed()
        self._offer_sampler()
        self.controls.status.setText("No game yet: Start plays one from untrained nets, a Step button move by move.")

    # ---- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        """The controls, the game's page (MNIST digits or the toy plane) and the live plots, side by side."""
        self.controls = GameControls(self.state)
        self.digits = DigitsPage()
        self.toy_page = ToyPage()
        self.plane, self.theory = self.toy_page.plane, self.toy_page.theory
        self.pages = QStackedWidget()
        self.pages.addWidget(self.digits)
        self.pages.addWidget(self.toy_page)
        self.dashboard = GamePlots()
        layout = QHBoxLayout(self)
        layout.addWidget(scroll_column(self.controls))
        layout.addWidget(self.pages, 3)
        layout.addWidget(self.dashboard, 2)
        self.model_info = self.controls.model_info  # where ModelPanel says what the model is

    def _connect(self) -> None:
        self.controls.start_button.clicked.connect(self._on_start_clicked)
        self.controls.pause_button.clicked.connect(self.runner.pause)
        self.controls.stop_button.clicked.connect(self.runner.stop)
        self.controls.reset_button.clicked.connect(self.reset)
        for which, button in self.controls.step_buttons.items():
            button.clicked.connect(partial(self.step, which))
        self.digits.sampler.sample_button.clicked.connect(self.show_samples)
        self.digits.sampler.interpolate_button.clicked.connect(self.show_interpolation)

    # ---- the shipped or trained generator -----------------------------------------------------
    def show_no_model(self) -> None:
        if self.state.mode == "toy":
            self.model_info.setText(
                "No toy generator yet: Start plays a game; when it ends its G is kept for this "
                "game (the digit generator stays for the MNIST game)."
            )
            return
        self.model_info.setText(
            f"No shipped generator yet ({self.family.default_checkpoint.name} is not there). "
            "Train one here, or load one with File ▸ Load checkpoint…."
        )

    def install(self, generator: DCGANGenerator | ToyGenerator, cfg: GANConfig, ckpt: Checkpoint | None) -> None:
        """Make ``generator`` its game's generator: an MNIST one to sample from, a toy one shown on the plane
        over its D(x). Each game keeps its own: installing a toy G leaves the digit generator be."""
        self.games[cfg.mode] = (generator, cfg, ckpt)
        if cfg.mode == "toy":
            self.discriminator = discriminator_from_checkpoint(ckpt) if ckpt is not None else None
        else:
            self.generator = generator
            self.sample_seed += 1
            self.show_interpolation()
        self.state.choose_game(cfg.mode)
        self._show_model()
        self._offer_sampler()

    def _show_game(self, mode: str) -> None:
        """The game ``mode`` was chosen (no game is played): its own generator becomes the panel's model,
        the one File ▸ Save keeps, described with its record; without one the panel says so."""
        self.model, self.model_cfg, self.checkpoint = self.games.get(mode, (None, None, None))
        if self.checkpoint is not None:
            self.model_info.setText(self.describe(self.checkpoint))
        else:
            self.show_no_model()
        self.show_record(self.checkpoint)
        self._show_model()

    def show_record(self, ckpt: Checkpoint | None) -> None:
        self.dashboard.set_smoothing(ckpt.config.get("label_smoothing", 0.0) if ckpt is not None else 0.0)
        if ckpt is None:
            self.dashboard.show_history(None, 1)
            return
        self.dashboard.show_history(ckpt.info.get("history", []), ckpt.info.get("steps", 1), earlier_steps(ckpt.info))

    def _show_model(self, count: bool = True) -> None:
        """Every view of a generator shows the installed one (no game is played): the MNIST G's samples,
        the toy G's points; without one the grid says so and the plane shows the ring's real points.
        ``count``: the meter counts the MNIST G's digits too (not after Stop: it keeps the game's)."""
        toy, toy_cfg, _ = self.games.get("toy", (None, None, None))
        if toy is not None and toy_cfg is not None:
            self.toy_page.show_generator(
                toy, toy_cfg.latent_dim, self.discriminator, toy_cfg.label_smoothing, toy_cfg.objective
            )
        else:
            self.toy_page.show_real()
        if self.generator is not None:
            self.digits.show_samples(self.generator, self.sample_seed)
        else:
            self.digits.show_no_generator()
        if count:
            self._count_classes()

    def _count_classes(self) -> None:
        """The meter counts the loaded G's digits on its game's fixed z (half a second on a 2-core CPU,
        so in a pool thread, on a copy of G that no view can switch between train and eval mode
        meanwhile); without a G, or until the count arrives, it is empty."""
        self.dashboard.classes.set_counts(np.zeros(10))
        if self.generator is None:
            self.meter.cancel()
            return
        self.meter.start(
            drawn_classes, copy.deepcopy(self.generator), self.games["mnist"][1], on_done=self._show_classes
        )

    def _show_classes(self, counts: np.ndarray | None) -> None:
        if counts is not None and not self.playing:  # a game's own meter wins over a count begun before it
            self.dashboard.classes.set_counts(counts)

    def describe(self, ckpt: Checkpoint) -> str:
        cfg, info = ckpt.config, ckpt.info
        m = info.get("metrics", {})
        iterations = steps_text(info).replace("steps", "iterations")
        nets = f", {nets_text(cfg)}" if cfg.get("mode") == "mnist" and "channels" in cfg else ""
        nets += stabilisers(cfg)
        game = {"mnist": "MNIST", "toy": "2-D toy"}.get(cfg.get("mode", ""), "?")
        text = (
            f"Generator: {game} GAN, {iterations}{nets}, "
            f"{str(cfg.get('objective', '?')).replace('_', '-')} G, z of {cfg.get('latent_dim', '?')}"
        )
        if "d_real" in m:
            text += f"\nAt the end D(x) {m['d_real']:.2f}, D(G(z)) {m['d_fake']:.2f}"
        return text + trained_text(info)

    def show_samples(self) -> None:
        """16 digits from the generator for the next seed."""
        if self.generator is None:
            return
        self.sample_seed += 1
        self.digits.show_samples(self.generator, self.sample_seed)

    def show_interpolation(self) -> None:
        """Digits along the line from z₀ to z₁, two noise vectors of the current seed."""
        if self.generator is None:
            return
        self.digits.sampler.show_interpolation(self.generator, self.sample_seed)

    # ---- the game -----------------------------------------------------------------------------
    def training_config(self) -> GANConfig:
        return self.state.game_config()

    @property
    def playing(self) -> bool:
        """Whether the runner's job is this panel's game."""
        return self.state.playing

    def training_job(self, cfg: GANConfig) -> Job:
        return self.state.session_job(cfg, self.device)

    def start_training(self, cfg: GANConfig | None = None, paused: bool = False, first: tuple | None = None) -> None:
        """Start a game from untrained nets; ``paused``: show them and wait (``first``: a command to run)."""
        super().start_training(cfg)
        if not self.playing:
            return  # another job was running
        if paused and first is None:
            self.state.update(phase=GamePhase.UNTOUCHED)
        if paused:
            self.runner.pause()
            # A message to a job that has not yielded yet makes it yield first: the untrained nets
            # arrive, then the answer (a step's snapshot, or nothing for the current speed).
            self.runner.send(first or ("delay", self.state.delay_s))
        self.controls.status.setText("Starting: loading the data and building the nets…")

    def on_training_started(self, cfg: GANConfig) -> None:
        self.state.begin(cfg)
        self.dashboard.set_smoothing(cfg.label_smoothing)
        self.snapshot = None
        self._clear_views(cfg)
        game = f"MNIST (DCGAN, {nets_text(asdict(cfg))})" if cfg.mode == "mnist" else "2-D toy"
        game += stabilisers(asdict(cfg)).replace(",", " with", 1)
        kept = "the loaded generator stays" if self.checkpoint is not None else "nothing is kept"
        self.model_info.setText(
            f"A new {game} game of {cfg.steps:,} iterations. When it ends its G becomes the one "
            f"to sample and save; if you stop it, {kept}."
        )

    def step(self, which: str) -> None:
        """One D step, one G step, or one iteration ('d', 'g', 'both'), from a paused or a new game."""
        if self.playing:
            if not self._replace_untouched(paused=True, first=("step", which)):
                self.state.update(phase=GamePhase.MOVED)
                self.runner.send(("step", which))
        elif not self.runner.busy:
            self.start_training(paused=True, first=("step", which))

    def reset(self) -> None:
        """Back to the untrained nets of the same seed (same weights, same fixed noise), paused; before
        the game's first move, the nets of the settings as the form now has them."""
        if self.playing:
            self.state.update(next_game=self.state.after_reset())
            self.runner.stop()  # the new game starts when this one has ended
        elif not self.runner.busy:
            self.start_training(paused=True)

    def _replace_untouched(self, paused: bool, first: Command | None = None) -> bool:
        """Whether the form's settings, changed before the paused game's first move, replace that game
        (it stops, and the new one starts ``paused`` with ``first``)."""
        next_game = self.state.replacement(paused, first)
        if next_game is None:
            return False
        self.state.update(next_game=next_game)
        self.runner.stop()
        return True

    def _on_start_clicked(self) -> None:
        if self.playing and self.runner.paused:
            if not self._replace_untouched(paused=False):
                self.runner.resume()
        elif not self.runner.busy:
            self.start_training()

    def _on_state_changed(self, names: frozenset[str]) -> None:
        if "mode" in names:
            self._on_mode_changed()
        if "delay_s" in names and self.playing:
            self.runner.send(("delay", self.state.delay_s))
        if "phase" in names:
            self._offer_sampler()

    def on_snapshot(self, snap: GANSnapshot) -> None:
        """Record the snapshot now; draw it over the next turns of the event loop while the game runs, at once
        when it answers a single step."""
        previous, self.snapshot = self.snapshot, snap
        self.dashboard.add_points(snap, previous)
        self.refresh.request("losses", self.dashboard.losses.redraw)
        self.refresh.request("outputs", self.dashboard.outputs.redraw)
        self.refresh.request("histogram", partial(self.dashboard.draw_histogram, snap))
        self.refresh.request("status", partial(self.controls.show_snapshot, snap))
        if snap.samples is not None:
            grid = tile(snap.samples, 4)
            self.refresh.request("grid", partial(self.digits.show_fixed_noise, snap.step, grid))
            self.digits.filmstrip.add_frame(snap.step, grid)  # kept now, so that no frame is lost to a newer request
            self.refresh.request("filmstrip", self.digits.redraw_filmstrip)
        if snap.class_counts is not None:
            self.refresh.request("classes", partial(self.dashboard.classes.set_counts, snap.class_counts))
        elif snap.samples is not None and self.runner.paused and self.state.game and self.state.game.mode == "mnist":
            self.runner.send(("meter", None))  # a step's answer paints first; its digit meter follows
        if self.runner.paused:  # a single step's answer: painted whole at once (a few ms), not spread over turns
            self.refresh.flush()
        if snap.heatmap is not None and self.state.game is not None:
            cfg = self.state.game
            self.refresh.request(
                "plane", partial(self.toy_page.show_snapshot, snap, cfg.label_smoothing, cfg.objective)
            )

    def on_training_ended(self, succeeded: bool) -> None:
        self.refresh.flush()
        next_game = self.state.end()
        if next_game is not None:
            self.start_training(next_game.cfg, next_game.paused, next_game.first)
            return
        if not succeeded:
            if self.snapshot is not None:
                self.controls.status.setText(
                    self.controls.status.text()
                    + "\nStopped: its curves, filmstrip and histograms stay until the next game."
                )
            self._show_model(count=False)  # the grid and the sampler leave the stopped game for the loaded G
        self._offer_sampler()

    def _clear_views(self, cfg: GANConfig) -> None:
        """Forget the last game's data now; blank its views over the next turns of the event loop
        (queued before any snapshot's update, so they run first)."""
        self.dashboard.clear_curves()
        for key, plot in (("losses", self.dashboard.losses), ("outputs", self.dashboard.outputs)):
            self.refresh.request(f"clear {key}", partial(self._reset_plot, plot, cfg.steps))
        self.refresh.request("clear histogram", partial(self.dashboard.draw_histogram, None))
        self.refresh.request("clear classes", partial(self.dashboard.classes.set_counts, np.zeros(10)))
        self.digits.filmstrip.clear()
        self.refresh.request("clear filmstrip", self.digits.redraw_filmstrip)
        self.refresh.request("clear plane", self.plane.blank)

    @staticmethod
    def _reset_plot(plot: CurvePlot, steps: int) -> None:
        plot.set_x_span(steps)
        plot.redraw()

    def _on_mode_changed(self) -> None:
        mode = self.state.mode
        self.pages.setCurrentIndex([key for key, *_ in MODES].index(mode))
        self.dashboard.classes.setVisible(mode == "mnist")  # the toy game draws points, not digits
        if not self.playing and (self.model_cfg is None or self.model_cfg.mode != mode):
            self._show_game(mode)

    def _on_runner_changed(self, _busy_or_paused: bool) -> None:
        self.state.follow_runner(self.runner.busy, self.runner.paused)  # the game's buttons follow

    def _offer_sampler(self) -> None:
        """The sampler is offered with a generator and no game played."""
        self.digits.sampler.set_available(self.generator is not None and not self.playing)
