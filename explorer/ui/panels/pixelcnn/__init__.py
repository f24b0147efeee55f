"""The PixelCNN panel: write a digit pixel by pixel, its receptive field, completion and exact likelihood."""

from explorer.ui.panels.pixelcnn.panel import PixelCNNPanel

__all__ = ["PixelCNNPanel"]
