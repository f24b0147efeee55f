"""The small shared helpers: draining a generator, rebuilding a model from its config and weights,
and spin boxes whose range comes from a config's declared limits."""

import numpy as np
import pytest
import torch
from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox

from explorer.core.diffusion import DDPMConfig, SamplerConfig, build_ddpm
from explorer.core.pixelcnn.model import PixelCNNConfig, build_pixelcnn
from explorer.core.runtime.checkpoints import model_from_weights
from explorer.core.runtime.generators import Returning
from explorer.core.runtime.limits import SEED_MAX, ConfigError, declared_range
from explorer.core.vae import VAEConfig


def _counting(n: int):
    yield from range(n)
    return f"counted {n}"


def test_returning_yields_every_item_and_keeps_the_return_value():
    returning = Returning(_counting(3))
    assert list(returning) == [0, 1, 2]
    assert returning.value == "counted 3"
    empty = Returning(_counting(0))
    assert list(empty) == [] and empty.value == "counted 0"


def test_returning_has_no_value_before_the_generator_ends():
    returning = Returning(_counting(3))
    for _ in returning:
        break
    with pytest.raises(AttributeError):
        returning.value  # noqa: B018


def _numpy_weights(module: torch.nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}


def test_model_from_weights_rebuilds_the_model_in_eval_mode():
    torch.manual_seed(0)
    cfg = PixelCNNConfig(channels=6, layers=3)
    original = build_pixelcnn(cfg)
    rebuilt = model_from_weights(build_pixelcnn, cfg, _numpy_weights(original), "cpu")
    assert not rebuilt.training
    x = torch.bernoulli(torch.full((2, 1, 28, 28), 0.5), generator=torch.Generator().manual_seed(1))
    assert torch.equal(rebuilt(x), original.eval()(x))


def test_model_from_weights_loads_a_submodule_where_the_checkpoint_holds_only_that():
    torch.manual_seed(0)
    cfg = DDPMConfig(base_channels=8, timesteps=20)
    original = build_ddpm(cfg)
    rebuilt = model_from_weights(build_ddpm, cfg, _numpy_weights(original.unet), part="unet")
    x, t = torch.randn(2, 1, 28, 28), torch.tensor([3, 17])
    assert torch.equal(rebuilt(x, t), original.eval()(x, t))
    with pytest.raises(RuntimeError):  # the whole model's keys do not fit the U-Net alone
        model_from_weights(build_ddpm, cfg, _numpy_weights(original), part="unet")


def test_declared_range_is_the_fields_bounded_limits():
    assert declared_range(SamplerConfig, "eta") == (0.0, 1.0)
    assert declared_range(VAEConfig, "seed") == (0, SEED_MAX)
    with pytest.raises(ConfigError):  # the range is the config's own check
        SamplerConfig("ddim", eta=declared_range(SamplerConfig, "eta")[1] + 0.01)


def test_boxes_offer_the_declared_range_narrowed_where_asked(qapp):
    from explorer.ui.widgets.bounded_box import SPIN_BOX_MAX, fit_to_field

    eta = QDoubleSpinBox()
    fit_to_field(eta, SamplerConfig, "eta")
    assert (eta.minimum(), eta.maximum()) == (0.0, 1.0)
    epochs = QSpinBox()
    fit_to_field(epochs, VAEConfig, "epochs", offered=(1, 500))
    assert (epochs.minimum(), epochs.maximum()) == (1, 500)
    wide = QSpinBox()
    fit_to_field(wide, VAEConfig, "epochs", offered=(0, 10**6))  # never more than the config allows
    assert (wide.minimum(), wide.maximum()) == declared_range(VAEConfig, "epochs")
    seed = QSpinBox()  # a seed box: as far as a QSpinBox reaches
    fit_to_field(seed, VAEConfig, "seed")
    assert (seed.minimum(), seed.maximum()) == (0, min(SEED_MAX, SPIN_BOX_MAX)) == (0, 2**31 - 1)


def test_the_user_data_folder_is_the_override_else_the_platforms_own(monkeypatch, tmp_path):
    """GEN_EXPLORER_DATA wins; without it the folder is platformdirs' per-user data folder for the app, which
    on Linux follows XDG_DATA_HOME (what a user who moved their data folder expects)."""
    import sys

    from explorer.core.runtime.paths import APP_DIR_NAME, user_data_dir

    monkeypatch.setenv("GEN_EXPLORER_DATA", str(tmp_path / "mine"))
    assert user_data_dir() == tmp_path / "mine"
    monkeypatch.delenv("GEN_EXPLORER_DATA")
    assert user_data_dir().name == APP_DIR_NAME
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
        assert user_data_dir() == tmp_path / "xdg" / APP_DIR_NAME
