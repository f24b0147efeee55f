"""The PixelCNN as the command line, the panels and the evaluation see it: train (writing the run so far every
N steps, if asked), rebuild, sample, and continue an earlier run (``init_from``)."""

from explorer.core.families import ModelFamily
from explorer.core.pixelcnn.model import PixelCNNConfig, pixelcnn_from_checkpoint
from explorer.core.pixelcnn.sampling import sample_images
from explorer.core.pixelcnn.training import earlier_run, train_pixelcnn

FAMILY = ModelFamily(
    name="pixelcnn",
    title="PixelCNN",
    config=PixelCNNConfig,
    train=train_pixelcnn,
    from_checkpoint=pixelcnn_from_checkpoint,
    sample_images=sample_images,
    chunk=100,  # 784 cached steps per chunk: 100 digits take a few seconds on a CPU
    earlier_run=earlier_run,
    saves_every=True,
)
