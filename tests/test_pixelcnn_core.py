"""The PixelCNN's core: causal masks, no blind spot, exact likelihood, cached sampling, completion, training."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explorer.core.pixelcnn import (
    PIXELS,
    SIDE,
    PixelCNN,
    PixelCNNConfig,
    causal_pass,
    complete_digits,
    evaluate,
    next_pixel_map,
    nll,
    pixel_nll,
    pixelcnn_from_checkpoint,
    sample_images,
    surprise,
    train_pixelcnn,
)
from explorer.core.pixelcnn.field import blind_spot, receptive_field
from explorer.core.pixelcnn.jobs import writing
from explorer.core.runtime.checkpoints import load_checkpoint
from explorer.core.runtime.jobs import run_to_end
from explorer.core.runtime.limits import ConfigError


def random_net(channels: int = 6, layers: int = 4, seed: int = 0) -> PixelCNN:
    torch.manual_seed(seed)
    return PixelCNN(channels, layers, 3).double().eval()


def binary_images(n: int, seed: int = 0) -> torch.Tensor:
    return torch.bernoulli(torch.full((n, 1, SIDE, SIDE), 0.3), generator=torch.Generator().manual_seed(seed))


def gradient_support(model: PixelCNN, row: int, col: int) -> np.ndarray:
    """Where d logit(row, col) / d x is nonzero: the pixels the prediction really depends on."""
    x = binary_images(1).double().requires_grad_(True)
    (grad,) = torch.autograd.grad(model(x)[0, 0, row, col], x)
    return (grad[0, 0] != 0).numpy()


POSITIONS = [(0, 0), (0, 5), (1, 0), (5, 7), (13, 27), (14, 14), (27, 0), (27, 27)]


@pytest.mark.parametrize(("row", "col"), POSITIONS)
def test_a_pixel_never_depends_on_itself_or_later_pixels(row, col):
    support = gradient_support(random_net(), row, col)
    order = np.arange(PIXELS).reshape(SIDE, SIDE)
    assert not support[order >= row * SIDE + col].any()


@pytest.mark.parametrize(("row", "col"), POSITIONS)
def test_the_traced_field_is_exactly_what_the_gradients_see(row, col):
    assert (receptive_field(row, col, layers=4, kernel=3) == gradient_support(random_net(), row, col)).all()


def test_the_stacks_leave_no_blind_spot_where_a_plain_masked_net_has_one():
    row, col = 14, 14
    gated = receptive_field(row, col, layers=6)
    plain = receptive_field(row, col, layers=6, gated=False)
    # Up and to the right, within reach: the gated net sees it, a plain masked net never does.
    assert gated[row - 1, col + 8] and gated[row - 3, col + 7]
    assert not plain[row - 1, col + 8] and not plain[row - 3, col + 7] and plain[row - 1, col + 3]
    assert blind_spot(row, col, layers=6).sum() > 10
    # Within the reach of the stacks every earlier pixel of the rows above is seen: no holes.
    assert gated[row - 3 : row, col - 3 : col + 4].all() and gated[row, col - 5 : col].all()


def test_the_nll_is_the_sum_of_the_per_pixel_terms():
    model, x = random_net(), binary_images(3).double()
    with torch.no_grad():
        per_pixel = pixel_nll(model, x)
        p = torch.sigmoid(model(x))
    assert torch.allclose(nll(model, x), per_pixel.flatten(1).sum(1))
    by_hand = -(x * torch.log(p) + (1 - x) * torch.log(1 - p)).flatten(1).sum(1)  # -log prod p(x_i | x_<i)
    assert torch.allclose(nll(model, x), by_hand, atol=1e-8)
    with torch.no_grad():
        first = float(nll(model, x[:1]))
    score = surprise(model.float(), x[0, 0].numpy())
    assert score.nll == pytest.approx(score.per_pixel.sum()) and score.nll == pytest.approx(first, rel=1e-5)


def test_the_cached_pass_gives_exactly_the_full_nets_probabilities():
    model, x = random_net().float(), binary_images(4)
    images, probs = run_to_end(causal_pass(model, x, torch.ones_like(x, dtype=torch.bool)))
    with torch.no_grad():
        full = torch.sigmoid(model(x))
    assert torch.equal(images, x)
    assert torch.allclose(probs, full, atol=1e-6)


def test_sampling_with_a_seed_is_reproducible_and_each_pixel_follows_its_conditional():
    model = random_net().float()
    a, b, c = sample_images(model, 3, seed=5), sample_images(model, 3, seed=5), sample_images(model, 3, seed=6)
    assert a.shape == (3, SIDE, SIDE) and set(np.unique(a)) <= {0.0, 1.0}
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    # Every drawn pixel was drawn from the model's p(x_i | x_<i) given the pixels drawn before it.
    with torch.no_grad():
        p = torch.sigmoid(model(torch.from_numpy(a)[:, None]))[:, 0].numpy()
    written = run_to_end(writing(PixelCNNConfig(channels=6, layers=4), weights_of_model(model), 3, seed=5))
    assert np.allclose(written.probs, p, atol=1e-5) and np.array_equal(written.images, a)


def weights_of_model(model: PixelCNN) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy() for k, v in model.state_dict().items()}


def test_completion_never_changes_the_given_pixels():
    model = random_net().float()
    given = np.repeat(binary_images(1).numpy()[:, 0], 4, axis=0)
    known = np.zeros_like(given, dtype=bool)
    known[:, :14] = True
    known[:, 20, 3:9] = True  # any pixels may be given, not only whole rows
    done = complete_digits(model, given, known, seed=1)
    assert np.array_equal(done[known], given[known])
    assert not all(np.array_equal(done[0], d) for d in done[1:])  # different endings of the same top


def test_the_next_pixel_map_covers_exactly_the_unwritten_pixels():
    model = random_net().float()
    image = binary_images(1).numpy()[0, 0]
    written = 300
    p = next_pixel_map(model, image, written).reshape(PIXELS)
    assert np.isnan(p[:written]).all() and ((p[written:] >= 0) & (p[written:] <= 1)).all()
    blanked = image.reshape(PIXELS).copy()
    blanked[written:] = 0
    with torch.no_grad():
        full = torch.sigmoid(model(torch.from_numpy(blanked.reshape(1, 1, SIDE, SIDE))))[0, 0].numpy().reshape(PIXELS)
    assert np.allclose(p[written:], full[written:], atol=1e-6)
    assert p[written] == pytest.approx(full[written])  # the next pixel's is the true conditional


def test_training_a_few_steps_lowers_the_nll(tiny_pixelcnn_checkpoint):
    ckpt = load_checkpoint(tiny_pixelcnn_checkpoint, kind="pixelcnn")
    trained, cfg = pixelcnn_from_checkpoint(ckpt)
    torch.manual_seed(cfg.seed)
    untrained = PixelCNN(cfg.channels, cfg.layers, cfg.kernel).eval()
    from explorer.core.pixelcnn import test_digits

    x = test_digits(limit=300)
    assert evaluate(trained, x)["nll"] < evaluate(untrained, x)["nll"] - 50
    assert ckpt.info["metrics"]["test_nll"] > 0 and ckpt.info["history"]


def test_training_continues_from_a_checkpoint_and_records_the_run_before(tiny_pixelcnn_checkpoint):
    cfg = PixelCNNConfig(
        channels=8, layers=3, steps=2, batch_size=8, train_limit=64, init_from=str(tiny_pixelcnn_checkpoint)
    )
    ckpt = run_to_end(train_pixelcnn(cfg, device="cpu"))
    assert ckpt.info["continues"]["steps"] == 30


@pytest.mark.parametrize(("field", "value"), [("kernel", 4), ("channels", 0), ("layers", 21), ("precision", "fp8")])
def test_a_config_outside_the_limits_is_refused(field, value):
    with pytest.raises(ConfigError, match=field):
        PixelCNNConfig(**{field: value})
