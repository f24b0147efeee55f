"""The judges: an MNIST classifier (classifier.py), FID / KID / Inception Score in its feature
space (metrics.py), and evaluation of every model against the test set as a generator (evaluate.py)."""
