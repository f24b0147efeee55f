"""The autoregressive family: a gated PixelCNN (van den Oord et al. 2016). The causal
convolutions and gated block (layers.py), the net, its config and exact likelihood (model.py),
pixel-by-pixel sampling with cached activations (sampling.py), the receptive field of a pixel
(field.py) and training (training.py)."""

from explorer.core.pixelcnn.model import (
    PIXELS,
    SIDE,
    PixelCNN,
    PixelCNNConfig,
    build_pixelcnn,
    evaluate,
    nll,
    pixel_nll,
    pixelcnn_from_checkpoint,
)
from explorer.core.pixelcnn.sampling import (
    Surprise,
    causal_pass,
    complete_digits,
    next_pixel_map,
    sample_images,
    surprise,
    write_digits,
)
from explorer.core.pixelcnn.training import PixelCNNSnapshot, test_digits, train_pixelcnn

__all__ = [
    "PIXELS",
    "SIDE",
    "PixelCNN",
    "PixelCNNConfig",
    "PixelCNNSnapshot",
    "Surprise",
    "build_pixelcnn",
    "causal_pass",
    "complete_digits",
    "evaluate",
    "next_pixel_map",
    "nll",
    "pixel_nll",
    "pixelcnn_from_checkpoint",
    "sample_images",
    "surprise",
    "test_digits",
    "train_pixelcnn",
    "write_digits",
]
