"""Time the reverse chain of our DDPM beside diffusers' loop, and print the numbers.

    python benchmarks/diffusion_speed.py [--device cpu|cuda] [--samples 16] [--no-diffusers]

Cases, each for ``--samples`` digits with every frame kept on the host (as the panel keeps it):
1. the full 1000-step DDPM chain (Ho et al. Algorithm 2);
2. DDIM with 50 steps (Song et al., eta = 0).
The same two loops run with diffusers' ``UNet2DModel`` (block_out_channels (32, 64, 64), two
layers per block, attention at the lowest resolution: 1.6 M parameters) and its ``DDPMScheduler`` / ``DDIMScheduler``,
untrained: the time of a loop does not depend on the weights. diffusers is only needed here:
install it with ``pip install -e ".[bench]"``.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import torch

from explorer.core.diffusion import DDPMConfig, SamplerConfig, build_ddpm, sample_chain
from explorer.core.families import FAMILIES
from explorer.core.runtime.checkpoints import CheckpointError
from explorer.core.runtime.devices import pick_device


def our_model(device: torch.device) -> tuple[torch.nn.Module, str]:
    """The shipped DDPM if there is one, else the default architecture freshly built."""
    try:
        model, _, _ = FAMILIES["ddpm"].load()
        what = "shipped checkpoint"
    except CheckpointError:
        torch.manual_seed(0)
        model, what = build_ddpm(DDPMConfig()).eval(), "default config, untrained"
    return model.to(device), what


def ours(model: torch.nn.Module, n: int, sampler: str, steps: int) -> int:
    frames = list(sample_chain(model, model.schedule, n, SamplerConfig(sampler, steps, eta=0.0), seed=0))
    return len(frames)


def diffusers_unet(device: torch.device) -> torch.nn.Module:
    from diffusers import UNet2DModel

    torch.manual_seed(0)
    return (
        UNet2DModel(
            sample_size=28,
            in_channels=1,
            out_channels=1,
            layers_per_block=2,
            block_out_channels=(32, 64, 64),
            down_block_types=("DownBlock2D", "DownBlock2D", "AttnDownBlock2D"),  # 1.62 M parameters
            up_block_types=("AttnUpBlock2D", "UpBlock2D", "UpBlock2D"),
        )
        .to(device)
        .eval()
    )


@torch.inference_mode()
def theirs(unet: torch.nn.Module, n: int, sampler: str, steps: int, device: torch.device) -> int:
    """diffusers' own sampling loop, keeping x_t, the predicted noise and x_0 of every step on the host."""
    from diffusers import DDIMScheduler, DDPMScheduler

    scheduler = (
        DDPMScheduler(num_train_timesteps=1000) if sampler == "ddpm" else DDIMScheduler(num_train_timesteps=1000)
    )
    scheduler.set_timesteps(1000 if sampler == "ddpm" else steps)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 1, 28, 28, generator=g).to(device)
    frames = []
    for t in scheduler.timesteps:
        eps = unet(x, t).sample
        out = scheduler.step(eps, t, x, generator=g) if sampler == "ddpm" else scheduler.step(eps, t, x)
        frames.append((x.cpu().numpy(), eps.cpu().numpy(), out.pred_original_sample.cpu().numpy()))
        x = out.prev_sample
    return len(frames)


def timed(run: Callable[[], int], device: torch.device, repeats: int) -> tuple[float, int]:
    """Best wall time of ``repeats`` runs (after one warm-up run on CUDA), and the frames made."""
    if device.type == "cuda":
        run()
    best, frames = float("inf"), 0
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        frames = run()
        if device.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return best, frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None, help="cpu or cuda (default: the best available)")
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=1, help="runs per case; the best is reported")
    parser.add_argument("--no-diffusers", action="store_true", help="time our loop only")
    args = parser.parse_args()
    device = pick_device(args.device)
    model, what = our_model(device)
    params = sum(p.numel() for p in model.parameters())
    print(
        f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"ours: {params / 1e6:.2f} M parameters ({what})")
    unet = None
    if not args.no_diffusers:
        unet = diffusers_unet(device)
        print(f"diffusers: UNet2DModel {sum(p.numel() for p in unet.parameters()) / 1e6:.2f} M parameters")
    n = args.samples
    for label, sampler, steps in (("DDPM 1000 steps", "ddpm", 1000), ("DDIM 50 steps", "ddim", 50)):
        ours_s, frames = timed(
            lambda sampler=sampler, steps=steps: ours(model, n, sampler, steps), device, args.repeats
        )
        line = f"{label}, {n} samples, every frame kept: ours {ours_s:7.2f} s ({frames} frames)"
        if unet is not None:
            theirs_s, _ = timed(
                lambda sampler=sampler, steps=steps: theirs(unet, n, sampler, steps, device), device, args.repeats
            )
            line += f"   diffusers {theirs_s:7.2f} s   ratio {theirs_s / ours_s:4.1f}x faster"
        print(line, flush=True)


if __name__ == "__main__":
    main()
