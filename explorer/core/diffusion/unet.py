"""A small U-Net that predicts the noise eps_theta(x_t, t) of a 28x28 image (Ho et al. 2020, Appendix B).

The image is first folded into 2x2 patches (28x28x1 -> 14x14x4, as DiT and U-ViT patchify),
then two resolutions 14 -> 7 with channels (c, 2c), residual blocks with GroupNorm + SiLU,
and a sinusoidal embedding of t (Vaswani et al. 2017, section 3.5) added inside every
block; skip connections concatenate the down path into the up path; optionally self-attention over the
49 positions at 7x7, between the two middle blocks (Ho et al. attend at 16x16 of CIFAR-10). Folding skips the
28x28 level, which held most of the arithmetic: sampling 1000 steps on two CPU cores is
several times faster than with a 28x28 first level, and MNIST strokes survive 2x2 patches.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

PATCH = 2  # pixels per side folded into channels before the first convolution
CHANNEL_MULTS = (1, 2)  # channels at 14x14 and 7x7, in units of base_channels
ATTENTION = ("none", "7x7")  # where the U-Net may attend: nowhere, or at its 7x7 middle
HEADS = 4  # attention heads (Nichol & Dhariwal 2021 use 4); 2 * base_channels is a multiple of 16, so they divide it


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Transformer sinusoids of the (B,) integer timesteps: (B, dim) = [sin(t w_i), cos(t w_i)], w_i = 10000^(-i/half)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device, dtype=torch.float32) / half)  # (half,)
    args = t.float()[:, None] * freqs[None, :]  # (B, half)
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)  # (B, dim)


GROUPS = 8  # GroupNorm's groups at a freshly built U-Net's every width


def group_norm(channels: int, groups: int) -> nn.GroupNorm:
    """GroupNorm with ``groups`` groups: 8 throughout a fresh U-Net; a widened one (``widen``) has more, so that
    each group holds as many channels as the same layer's groups did in the net it came from."""
    return nn.GroupNorm(groups, channels)


class ResBlock(nn.Module):
    """GroupNorm-SiLU-conv twice, with the time embedding added between, plus a residual path."""

    def __init__(self, c_in: int, c_out: int, t_dim: int, groups: int) -> None:
        super().__init__()
        self.norm1 = group_norm(c_in, groups)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.to_t = nn.Linear(t_dim, c_out)
        self.norm2 = group_norm(c_out, groups)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, t_emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))  # (B, c_out, H, W)
        h = h + self.to_t(F.silu(t_emb))[:, :, None, None]  # time added per channel
        h = self.conv2(F.silu(self.norm2(h)))
        return h + self.skip(x)


class SelfAttention(nn.Module):
    """Multi-head self-attention among all H*W positions, with a residual path (Vaswani et al. 2017).

    A convolution sees 3x3 neighbours; attention lets every position of the 7x7 map weigh every other,
    so a stroke's far end can agree with its start. The output projection starts at zero (as in Nichol &
    Dhariwal's code), so the block starts as the identity: it can be added to a trained U-Net (``grow``)
    without changing a single digit it draws, and then learns from there."""

    def __init__(self, channels: int, groups: int, heads: int = HEADS) -> None:
        super().__init__()
        self.heads = heads
        self.norm = group_norm(channels, groups)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj = nn.Conv2d(channels, channels, 1)
        nn.init.zeros_(self.proj.weight)
        assert self.proj.bias is not None  # a Conv2d has one unless made with bias=False
        nn.init.zeros_(self.proj.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        qkv = self.qkv(self.norm(x)).reshape(b, 3, self.heads, c // self.heads, h * w).transpose(-1, -2)
        out = F.scaled_dot_product_attention(*qkv.unbind(1))  # (B, heads, HW, c / heads)
        return x + self.proj(out.transpose(-1, -2).reshape(b, c, h, w))


class UNet(nn.Module):
    """eps_theta: (B, 1, 28, 28) noisy images and (B,) timesteps -> (B, 1, 28, 28) predicted noise."""

    def __init__(self, base_channels: int = 32, depth: int = 1, attention: str = "none", widened_from: int = 0) -> None:
        """``widened_from``: 0 for a fresh net, else the base width of the net this one was first widened from
        (``widen``), whose GroupNorm group size and time sinusoids it keeps."""
        super().__init__()
        if attention not in ATTENTION:
            raise ValueError(f"attention must be one of {ATTENTION}, not {attention!r}")
        self.base_channels = base_channels
        self.depth = depth
        self.widened_from = widened_from
        first = widened_from or base_channels  # the width the net was first built at
        self.groups = GROUPS * base_channels // first  # 8, or as many more as keep the first net's group sizes
        self.embed_dim = first  # sinusoids of t: as many as the first net had, so widening keeps their frequencies
        if first % GROUPS or (GROUPS * base_channels) % first or base_channels < first:
            raise ValueError(f"{base_channels} channels widened from {first} do not keep its GroupNorm group sizes")
        t_dim = 4 * base_channels
        self.time_mlp = nn.Sequential(nn.Linear(self.embed_dim, t_dim), nn.SiLU(), nn.Linear(t_dim, t_dim))
        widths = [base_channels * m for m in CHANNEL_MULTS]
        self.conv_in = nn.Conv2d(PATCH * PATCH, base_channels, 3, padding=1)
        self.down = nn.ModuleList()
        self.downsample = nn.ModuleList()
        c = base_channels
        for level, width in enumerate(widths):
            self.down.append(
                nn.ModuleList([ResBlock(c if i == 0 else width, width, t_dim, self.groups) for i in range(depth)])
            )
            c = width
            if level < len(widths) - 1:
                self.downsample.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
        self.mid = nn.ModuleList([ResBlock(c, c, t_dim, self.groups) for _ in range(2)])
        self.mid_attention = SelfAttention(c, self.groups) if attention == "7x7" else None
        self.up = nn.ModuleList()
        self.upsample = nn.ModuleList()
        for level, width in reversed(list(enumerate(widths))):
            self.up.append(
                nn.ModuleList(
                    [ResBlock((c + width) if i == 0 else width, width, t_dim, self.groups) for i in range(depth)]
                )
            )
            c = width
            if level > 0:
                self.upsample.append(nn.Conv2d(c, widths[level - 1], 3, padding=1))
                c = widths[level - 1]
        self.norm_out = group_norm(c, self.groups)
        self.conv_out = nn.Conv2d(c, PATCH * PATCH, 3, padding=1)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.denoise(x, self.time_embedding(t))

    def time_embedding(self, t: torch.Tensor) -> torch.Tensor:
        """(B,) timesteps -> (B, 4c): the sinusoids through the MLP, the vector every block adds."""
        return self.time_mlp(timestep_embedding(t, self.embed_dim))

    def denoise(self, x: torch.Tensor, t_emb: torch.Tensor) -> torch.Tensor:
        """The U-Net proper on (B, 1, 28, 28) images, given their (B, 4c) embedding: a conditional model
        (explorer.core.conditional) adds its class embedding to the time embedding before this."""
        h = self.conv_in(F.pixel_unshuffle(x, PATCH))  # (B, c, 14, 14)
        skips = []
        for level, blocks in enumerate(self.down):
            for block in blocks.children():
                h = block(h, t_emb)
            skips.append(h)  # (B, c_level, 14 / 2^level, 14 / 2^level)
            if level < len(self.downsample):
                h = self.downsample[level](h)
        h = self.mid[0](h, t_emb)  # (B, 2c, 7, 7)
        if self.mid_attention is not None:
            h = self.mid_attention(h)
        h = self.mid[1](h, t_emb)
        for level, blocks in enumerate(self.up):
            h = torch.cat([h, skips.pop()], dim=1)
            for block in blocks.children():
                h = block(h, t_emb)
            if level < len(self.upsample):
                h = self.upsample[level](F.interpolate(h, scale_factor=2.0, mode="nearest"))
        return F.pixel_shuffle(self.conv_out(F.silu(self.norm_out(h))), PATCH)  # (B, 1, 28, 28)


@torch.no_grad()
def grow(small: UNet, large: UNet) -> UNet:
    """Give ``large`` (more blocks per resolution, and maybe attention where ``small`` had none) the weights
    of the trained ``small`` U-Net, every added part starting as the identity: an added block's second
    convolution is zero, so only its residual path speaks (Net2DeeperNet, Chen et al. 2016), and added
    attention's output projection is zero from its construction. ``large`` then computes exactly what
    ``small`` did, and training goes on from the small net's quality with more capacity instead of from
    scratch: on a 2-core CPU a larger net trained afresh needs many sessions to overtake the one it replaces."""
    if (
        large.base_channels != small.base_channels
        or large.widened_from != small.widened_from
        or large.depth < small.depth
        or (small.mid_attention is not None and large.mid_attention is None)
    ):
        raise ValueError(
            "grow needs a U-Net of the same width, with at least as many blocks per resolution "
            "and attention wherever the smaller one has it"
        )
    unexpected = large.load_state_dict(small.state_dict(), strict=False).unexpected_keys
    assert not unexpected, unexpected  # every part of the small net has its namesake in the large one
    for blocks in [*large.down, *large.up]:
        for block in blocks[small.depth :]:  # the blocks the small net lacks
            nn.init.zeros_(block.conv2.weight)
            nn.init.zeros_(block.conv2.bias)
    return large


def _spread(old: int, new: int, parts: int) -> torch.Tensor:
    """Where each of an axis's ``old`` entries sits once the axis has ``new``: the axis is ``parts`` equal
    parts (a concatenation), each widened at its end, so entry j of part p moves to p * new/parts + j."""
    part_old, part_new = old // parts, new // parts
    j = torch.arange(old)
    return (j // part_old) * part_new + j % part_old


@torch.no_grad()
def widen(narrow: UNet, wide: UNet) -> UNet:
    """Give ``wide`` (more channels at every level, same depth) the weights of the trained ``narrow`` U-Net so
    that it computes exactly what ``narrow`` did (Net2WiderNet, Chen et al. 2016), and return it.

    Every old channel keeps its place and weights; each added channel takes its random initial weights from
    every input, but sends nothing: the weights from it to every old channel are zero. So each old channel
    sees exactly its old inputs, and GroupNorm, which keeps ``narrow``'s group size in ``wide``, normalises each
    old group over the same channels (the added ones form groups of their own). Training then finds the added
    channels a use, from the narrow net's quality instead of from scratch. Both halves of an up block's input
    (the path and the skip it is concatenated with) widen at their own ends. Attention is not widened: its
    heads split the channels in four, which the added channels would redistribute."""
    if (
        wide.depth != narrow.depth
        or narrow.mid_attention is not None
        or wide.mid_attention is not None
        or wide.embed_dim != narrow.embed_dim
        or wide.base_channels <= narrow.base_channels
    ):
        raise ValueError(
            "widen needs a wider U-Net of the same depth without attention, built with "
            "widened_from = the narrow net's first width"
        )
    concatenated = {f"up.{level}.0.{part}" for level in range(len(wide.up)) for part in ("norm1", "conv1", "skip")}
    targets = wide.state_dict()
    for name, weights in narrow.state_dict().items():
        target = targets[name]
        module = name.rsplit(".", 1)[0]
        # The axis of a weight's inputs (1), or a norm's channels (0), is the concatenated one in an up block.
        joined = 1 if weights.dim() > 1 else (0 if module.endswith("norm1") else None)
        old_places = [
            _spread(o, n, 2 if module in concatenated and axis == joined else 1)
            for axis, (o, n) in enumerate(zip(weights.shape, target.shape, strict=True))
        ]
        target[torch.meshgrid(*old_places, indexing="ij")] = weights
        if weights.dim() > 1 and weights.shape[1] < target.shape[1]:  # from the added inputs to each old output
            added = torch.ones(target.shape[1], dtype=torch.bool)
            added[old_places[1]] = False
            target[torch.meshgrid(old_places[0], added.nonzero()[:, 0], indexing="ij")] = 0.0
    return wide
