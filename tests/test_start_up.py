"""A launch: the VAE tab paints its shipped model's own digits before torch is imported, then the live panel takes
their place; the Conditional tab, built in the background, builds a sub-tab per turn of the event loop."""

import subprocess
import sys

import numpy as np
from PySide6.QtWidgets import QLabel

from explorer.cli import window_args
from explorer.core.families import FAMILIES
from explorer.core.vae import decode_images, latent_grid
from explorer.core.vae_opening import GRID_N, SHIPPED, vae_opening
from explorer.ui.main_window import MainWindow
from explorer.ui.panel_tabs import PanelTabs
from explorer.ui.panels.conditional import ConditionalPanel
from explorer.ui.panels.vae import VAEPanel
from explorer.ui.panels.vae.manifold_view import ManifoldView
from explorer.ui.panels.vae.opening_picture import VAEOpeningPicture
from explorer.ui.worker import Runner


def test_the_opening_pictures_are_the_shipped_vaes_own_output(qtbot):
    model, _, _ = FAMILIES["vae"].load()
    opening = vae_opening(z=(0.7, -1.3))
    assert FAMILIES["vae"].default_checkpoint == SHIPPED  # the file the panel loads
    np.testing.assert_allclose(opening.decoded, decode_images(model, np.array([[0.7, -1.3]]))[0], atol=1e-5)
    np.testing.assert_allclose(opening.manifold, latent_grid(model, GRID_N), atol=1e-5)
    manifold = ManifoldView()
    qtbot.addWidget(manifold)
    assert manifold.grid_n.value() == GRID_N  # the grid the panel opens on


def test_a_file_that_is_not_a_vae_checkpoint_gives_no_opening_picture(tmp_path):
    garbage = tmp_path / "vae.safetensors"
    garbage.write_bytes(b"nonsense")
    assert vae_opening(garbage) is None
    assert vae_opening(tmp_path / "missing.safetensors") is None
    assert vae_opening(FAMILIES["gan"].default_checkpoint) is None  # a checkpoint, of another kind


def test_the_window_is_painted_with_digits_before_torch_is_imported():
    code = (
        "import sys, os\n"
        "os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from explorer.cli import window_args\n"
        "args = window_args([])\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from explorer.app import open_window\n"
        "window = open_window(None, '…', args.panel)\n"
        "window.show()\n"
        "while not window._painted:\n"
        "    app.processEvents()\n"
        "picture = window.tabs.currentWidget().widget()\n"
        "print(type(picture).__name__, picture.pixels().max() > 0.5, 'torch' in sys.modules,"
        " 'pyqtgraph' in sys.modules)\n"
        "os._exit(0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.stdout.split() == ["VAEOpeningPicture", "True", "False", "False"], result.stdout + result.stderr


def test_only_a_launch_with_no_command_skips_the_whole_parser():
    assert window_args([]).panel == "vae" and window_args(["--panel", "gan", "--size", "1280x720"]).panel == "gan"
    for argv in (["train", "vae"], ["--help"], ["-h"], ["--device", "cpu", "sample", "vae"], ["bogus"]):
        assert window_args(argv) is None, argv


def test_the_live_panel_takes_the_opening_pictures_place_once_built_and_loaded(qtbot):
    win = MainWindow(device="cpu")
    qtbot.addWidget(win)
    win.open_on("vae")
    picture = win.tabs.currentWidget().widget()
    assert isinstance(picture, VAEOpeningPicture) and win.tabs.current_name() == "vae"
    assert "vae" not in win.tabs.built
    win.tabs.setCurrentIndex(win.tabs.names.index("gan"))  # a tab change while torch loads builds nothing
    assert "gan" not in win.tabs.built
    win.tabs.setCurrentIndex(win.tabs.names.index("vae"))
    qtbot.waitUntil(lambda: isinstance(win.tabs.currentWidget().widget(), VAEPanel), timeout=120000)
    panel = win.tabs.built["vae"]
    assert panel.model is not None  # loaded before it was placed: no empty panel between the two
    # the live decoder at the marker draws what the picture showed: the same model at the same z
    np.testing.assert_allclose(panel.decoder.decoded.pixels(), picture.pixels(), atol=1e-5)
    qtbot.waitUntil(lambda: win.tabs.settled, timeout=300000)
    assert win.panels["diffusion"].model is not None  # the other tabs were built and loaded theirs
    for runner in win.runners.values():
        runner.stop()
    qtbot.waitUntil(lambda: not win.busy, timeout=60000)


def test_the_conditional_tab_built_in_the_background_builds_a_sub_tab_per_turn(qtbot):
    runner = Runner()
    tabs = PanelTabs(
        {"first": QLabel, "conditional": lambda: ConditionalPanel(runner, "cpu")}, {"first": "1", "conditional": "C"}
    )
    qtbot.addWidget(tabs)
    events: list[str] = []
    tabs.panel("first")
    tabs.panel_built.connect(lambda name: tabs.defer(lambda: events.append(f"loaded {name}"), name))
    tabs.build_the_rest()  # one turn: the panel and its first sub-tab
    panel = tabs.built["conditional"]
    counts = [panel.tabs.count()]
    for _ in range(4):
        tabs.build_the_rest()  # each later turn: one more sub-tab, then the model load the window defers
        counts.append(panel.tabs.count())
    assert counts == [1, 2, 3, 4, 4] and events == ["loaded conditional"]
    assert [panel.tabs.tabText(i) for i in range(4)][:3] == [p.name for p in panel.model_panels]
    qtbot.waitUntil(lambda: tabs.settled, timeout=5000)
    runner.shutdown()


def test_a_tab_opened_mid_build_is_whole_at_once(qtbot):
    runner = Runner()
    tabs = PanelTabs(
        {"first": QLabel, "conditional": lambda: ConditionalPanel(runner, "cpu")}, {"first": "1", "conditional": "C"}
    )
    qtbot.addWidget(tabs)
    tabs.panel("first")
    tabs.build_the_rest()
    assert tabs.built["conditional"].tabs.count() == 1
    tabs.setCurrentIndex(1)  # the learner opens it
    panel = tabs.built["conditional"]
    assert panel.tabs.count() == 4 and panel.classifier_guidance.cddpm_source is panel.cddpm and tabs.settled
    runner.shutdown()
