"""What the Evaluate panel calls each row: the three model families and the floor of real digits."""

from explorer.core.evaluation.evaluate import FLOOR

TITLES = {
    "pixelcnn": "PixelCNN",
    "vae": "VAE",
    "ddpm": "DDPM",
    "gan": "GAN",
    "cvae": "cVAE",
    "cddpm": "cDDPM",
    "cgan": "cGAN",
    FLOOR: "Floor: real training digits",
}
