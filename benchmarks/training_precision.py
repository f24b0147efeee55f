"""Training steps per second in float32 and in bf16 autocast (``--precision``), for the models that offer it.

    python benchmarks/training_precision.py [--device cpu|cuda] [--threads 1] [--steps 20]

Each model runs its own training step (the DDPM's and the cDDPM's Algorithm 1 step, one D step and one G step
of the 64-channel DCGAN, the PixelCNN's NLL step) on a batch of the shipped size, fp32 and bf16 in turn, twice,
after a warm-up. bf16 pays where the hardware has bf16 arithmetic (an AVX-512-BF16 or AMX CPU, a recent GPU);
elsewhere it may be slower, which is why fp32 stays the DDPM's and the GAN's default.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch

from explorer.core.diffusion import DDPMConfig, build_ddpm
from explorer.core.diffusion.training import epsilon_loss
from explorer.core.gan import GANConfig
from explorer.core.gan.game import d_step, g_step, init_gan
from explorer.core.pixelcnn.model import PixelCNNConfig, build_pixelcnn, nll
from explorer.core.runtime.devices import describe, pick_device
from explorer.core.runtime.training import mixed_precision


def ddpm_step(device: torch.device) -> Callable[[str], None]:
    cfg = DDPMConfig()
    model = build_ddpm(cfg).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    x0 = torch.rand(cfg.batch_size, 1, 28, 28, device=device) * 2 - 1
    g = torch.Generator(device=device).manual_seed(0)

    def step(precision: str) -> None:
        with mixed_precision(device, precision):
            loss = epsilon_loss(model, model.schedule, x0, g)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def gan_step(device: torch.device) -> Callable[[str], None]:
    state = init_gan(GANConfig(train_limit=1024), device)

    def step(precision: str) -> None:
        state.cfg = GANConfig(train_limit=1024, precision=precision)
        d_step(state)
        g_step(state)

    return step


def pixelcnn_step(device: torch.device) -> Callable[[str], None]:
    cfg = PixelCNNConfig()
    model = build_pixelcnn(cfg).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    x = (torch.rand(cfg.batch_size, 1, 28, 28, device=device) > 0.8).float()

    def step(precision: str) -> None:
        with mixed_precision(device, precision):
            loss = nll(model, x).float().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def rate(step: Callable[[str], None], precision: str, steps: int, device: torch.device) -> float:
    """Steps per second over ``steps`` steps, after three of warm-up."""
    for _ in range(3):
        step(precision)
    if device.type == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(steps):
        step(precision)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch threads on the CPU (the CPU runs use one)")
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    print(f"{describe(device)}, torch {torch.__version__}, {args.threads} thread(s)")
    print(f"{'model':<34}{'fp32 steps/s':>14}{'bf16 steps/s':>14}{'ratio':>8}")
    for name, make in (
        ("DDPM (0.47 M U-Net, batch 128)", ddpm_step),
        ("GAN (DCGAN 64 ch, D + G step)", gan_step),
        ("PixelCNN (10 x 48, batch 64)", pixelcnn_step),
    ):
        step = make(device)
        fp32 = max(rate(step, "fp32", args.steps, device) for _ in range(2))
        bf16 = max(rate(step, "bf16", args.steps, device) for _ in range(2))
        print(f"{name:<34}{fp32:>14.2f}{bf16:>14.2f}{bf16 / fp32:>7.2f}x", flush=True)


if __name__ == "__main__":
    main()
