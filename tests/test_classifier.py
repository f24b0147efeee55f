"""The MNIST classifier that judges the generative models: shipped, accurate, honestly recorded, retrainable."""

import numpy as np
import pytest
from generators import collect

from explorer.cli import main
from explorer.core.evaluation.classifier import (
    CLASSIFIER_CHECKPOINT,
    FEATURES,
    ClassifierConfig,
    classifier_from_checkpoint,
    embed,
    features,
    load_classifier,
    probabilities,
    train_classifier,
)
from explorer.core.runtime.checkpoints import load_checkpoint, save_checkpoint
from explorer.core.runtime.data import dataset_fingerprint, load_mnist
from explorer.core.runtime.errors import CheckpointError, ExplorerError


@pytest.fixture(scope="module")
def shipped():
    return load_classifier()


def test_the_shipped_classifier_is_at_least_99_percent_right_on_the_whole_test_set(shipped):
    model, ckpt = shipped
    test = load_mnist("test")
    predicted = probabilities(model, test.images).argmax(axis=1)
    accuracy = 100.0 * np.mean(predicted == test.labels)
    assert accuracy >= 99.0
    assert accuracy == pytest.approx(ckpt.info["metrics"]["test_accuracy"], abs=0.01)  # the record is true


def test_the_shipped_classifier_names_the_first_test_digits(shipped):
    model, _ = shipped
    test = load_mnist("test")
    predicted = probabilities(model, test.floats()[:100]).argmax(axis=1)
    assert predicted[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9] == test.labels[:10].tolist()
    assert np.sum(predicted == test.labels[:100]) >= 98  # #18, a 3 drawn like a 5, fools many classifiers


def test_the_shipped_checkpoint_records_how_it_was_made(shipped):
    _, ckpt = shipped
    cfg = ClassifierConfig(**ckpt.config)
    training = ckpt.info["training"]
    assert ckpt.kind == "classifier" and ckpt.info["dataset"] == dataset_fingerprint()
    assert ckpt.info["steps"] == cfg.epochs * 469 and len(ckpt.info["history"]) == cfg.epochs
    assert training["command"].startswith("gen-explorer train classifier") and training["seconds"] > 0
    assert training["device"]


def test_features_and_probabilities_have_the_right_shapes_and_accept_uint8_or_floats(shipped):
    model, _ = shipped
    images = load_mnist("test").images[:7]
    f, p = embed(model, images)
    assert f.shape == (7, FEATURES) and p.shape == (7, 10)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-9)
    assert (f >= 0).all()  # ReLU features
    np.testing.assert_allclose(features(model, images.astype(np.float32) / 255), f, rtol=1e-5, atol=1e-5)
    assert embed(model, np.zeros((0, 28, 28), np.float32))[0].shape == (0, FEATURES)


def test_wrong_shapes_and_missing_files_get_a_clear_message(shipped, tmp_path):
    model, _ = shipped
    with pytest.raises(ExplorerError, match=r"\(N, 28, 28\)"):
        probabilities(model, np.zeros((3, 784)))
    with pytest.raises(ExplorerError, match="gen-explorer train classifier"):
        load_classifier(tmp_path / "none.safetensors")
    with pytest.raises(CheckpointError, match="not an MNIST classifier"):
        load_classifier(CLASSIFIER_CHECKPOINT.parent / "vae.safetensors")


def test_training_on_a_tiny_set_yields_snapshots_and_a_checkpoint_that_loads_back(tmp_path):
    training = train_classifier(
        ClassifierConfig(epochs=2, channels=4, train_limit=512, batch_size=64), device="cpu", yield_every_s=0.0
    )
    snapshots, ckpt = collect(training)
    assert snapshots[-1].step == snapshots[-1].total_steps == 16 and snapshots[-1].progress == 1.0
    assert [s.test is not None for s in snapshots].count(True) == 2
    assert snapshots[-1].test["accuracy"] > 30  # far above chance after 16 steps on 512 digits
    path = save_checkpoint(tmp_path / "c.safetensors", ckpt)
    model = classifier_from_checkpoint(load_checkpoint(path, kind="classifier"))
    digits = load_mnist("test").images[:50]
    trained = classifier_from_checkpoint(ckpt)
    np.testing.assert_allclose(probabilities(model, digits), probabilities(trained, digits), rtol=1e-6)


def test_the_command_line_trains_the_classifier_through_the_same_loop(tmp_path):
    out = tmp_path / "classifier.safetensors"
    argv = [
        "train",
        "classifier",
        "--epochs",
        "1",
        "--channels",
        "4",
        "--train-limit",
        "256",
        "--out",
        str(out),
        "--device",
        "cpu",
    ]
    assert main(argv) == 0
    ckpt = load_checkpoint(out, kind="classifier")
    assert ckpt.info["training"]["command"] == "gen-explorer " + " ".join(argv)
    assert ckpt.config["channels"] == 4 and "test_accuracy" in ckpt.info["metrics"]
