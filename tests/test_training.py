"""Compiling for the head, fit_and_save (files, facts, best weights restored), plots."""

from __future__ import annotations

import json

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from utils import plots, saving, training


def tiny_model(n_classes: int = 2) -> keras.Model:
    units, activation = (1, "sigmoid") if n_classes == 2 else (n_classes, "softmax")
    return keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Flatten(),
            keras.layers.Dense(units, activation=activation),
        ]
    )


def tiny_data(n_classes: int = 2, n: int = 32, flip_labels: bool = False, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n).astype("int32")
    x = rng.uniform(0, 60, (n, 8, 8, 3)).astype("float32") + (y * 80)[:, None, None, None]
    if flip_labels:
        y = (n_classes - 1 - y).astype("int32")
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(8)


def test_set_seed_makes_weights_repeatable():
    training.set_seed(3)
    a = tiny_model().get_weights()[0]
    training.set_seed(3)
    b = tiny_model().get_weights()[0]
    np.testing.assert_array_equal(a, b)


def test_compile_for_picks_the_loss_from_the_head():
    binary = training.compile_for(tiny_model(2), 2)
    assert binary.loss == "binary_crossentropy"
    assert isinstance(binary.optimizer, keras.optimizers.RMSprop)
    assert float(binary.optimizer.learning_rate) == pytest.approx(1e-3)
    multi = training.compile_for(tiny_model(3), 3, keras.optimizers.RMSprop(1e-4))
    assert multi.loss == "sparse_categorical_crossentropy"
    with pytest.raises(ValueError):
        training.compile_for(tiny_model(3), 4)
    with pytest.raises(ValueError):
        training.compile_for(tiny_model(2), 3)


def test_make_callbacks(tmp_path):
    cbs = training.make_callbacks("run", tmp_path / "m", tmp_path / "r")
    kinds = [type(c).__name__ for c in cbs]
    assert kinds == ["ModelCheckpoint", "CSVLogger", "EpochLogger"]
    assert cbs[0].filepath.endswith("checkpoints/run.weights.h5")
    assert cbs[0].save_best_only and cbs[0].save_weights_only
    assert cbs[1].filename == str(tmp_path / "r" / "run_history.csv")


class RecordWeights(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.by_epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.by_epoch.append([w.copy() for w in self.model.get_weights()])


def test_fit_and_save_writes_files_and_restores_the_best_epoch(tmp_path, capsys):
    training.set_seed(0)
    model = training.compile_for(tiny_model(), 2, keras.optimizers.RMSprop(1e-2))
    recorder = RecordWeights()
    # validation labels are the opposite of training ones: the better the fit, the worse the
    # validation loss, so the best epoch comes early and is not the last one
    history = training.fit_and_save(
        model,
        tiny_data(),
        tiny_data(flip_labels=True, seed=1),
        epochs=4,
        name="tiny",
        class_names=["cat", "dog"],
        models_dir=tmp_path / "models",
        results_dir=tmp_path / "results",
        callbacks_extra=[recorder],
        notebook="test",
    )
    assert list(history["epoch"]) == [1, 2, 3, 4]
    assert {"accuracy", "loss", "val_accuracy", "val_loss", "seconds"} <= set(history.columns)
    best = int(history["val_loss"].idxmin()) + 1
    assert best < 4

    info = json.loads((tmp_path / "models" / "tiny.json").read_text())
    assert info["class_names"] == ["cat", "dog"]
    assert info["epochs"] == 4 and info["best_epoch"] == best and info["notebook"] == "test"
    assert info["train_seconds"] > 0
    assert info["best_epoch_val_accuracy"] == pytest.approx(history["val_accuracy"][best - 1])
    assert info["final_val_accuracy"] == pytest.approx(history["val_accuracy"].iloc[-1])
    assert info["best_val_accuracy"] == pytest.approx(history["val_accuracy"].max())

    csv = pd.read_csv(tmp_path / "results" / "tiny_history.csv")
    pd.testing.assert_frame_equal(csv, history, check_dtype=False)
    assert not (tmp_path / "models" / "checkpoints").exists()

    for kept, wanted in zip(model.get_weights(), recorder.by_epoch[best - 1], strict=True):
        np.testing.assert_array_equal(kept, wanted)
    reloaded, _ = saving.load_model(tmp_path / "models" / "tiny.h5")
    for kept, wanted in zip(reloaded.get_weights(), recorder.by_epoch[best - 1], strict=True):
        np.testing.assert_array_equal(kept, wanted)
    assert "tiny epoch 4/4" in capsys.readouterr().out


def test_fit_and_save_softmax_head_and_scores(tmp_path):
    training.set_seed(0)
    model = training.compile_for(tiny_model(3), 3)
    data = tiny_data(3)
    history = training.fit_and_save(
        model,
        data,
        data,
        epochs=2,
        name="three",
        class_names=["a", "b", "c"],
        models_dir=tmp_path,
        results_dir=tmp_path,
        progress=False,
    )
    assert len(history) == 2
    row = training.score_saved(tmp_path / "three.h5", data, trained=model)
    assert row["model"] == "three" and row["reloaded_same_predictions"] is True
    assert row["test_accuracy"] == pytest.approx(training.evaluate_accuracy(model, data), abs=1e-4)
    assert 0.0 <= row["test_accuracy"] <= 1.0


def test_fit_and_save_needs_a_compiled_model(tmp_path):
    with pytest.raises(ValueError, match="compile"):
        training.fit_and_save(
            tiny_model(),
            tiny_data(),
            tiny_data(),
            epochs=1,
            name="x",
            class_names=["a", "b"],
            models_dir=tmp_path,
            results_dir=tmp_path,
        )


def test_evaluate_accuracy_sigmoid_head():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, activation="sigmoid")])
    model.set_weights([np.array([[10.0]]), np.array([-5.0])])
    x = np.array([[0.0], [1.0], [0.0], [1.0]], dtype="float32")
    ds = tf.data.Dataset.from_tensor_slices((x, np.array([0, 1, 1, 1]))).batch(2)
    assert training.evaluate_accuracy(model, ds) == pytest.approx(0.75)


def test_summarize_and_best_epoch():
    history = pd.DataFrame(
        {"epoch": [1, 2, 3], "val_loss": [0.6, 0.4, 0.4], "val_accuracy": [0.6, 0.7, 0.8]}
    )
    assert training.best_epoch(history) == 2  # first of equal minima, like ModelCheckpoint
    facts = training.summarize(history)
    assert facts == {
        "epochs": 3,
        "best_epoch": 2,
        "best_val_loss": 0.4,
        "best_epoch_val_accuracy": 0.7,
        "best_val_accuracy": 0.8,
        "final_val_accuracy": 0.8,
    }


def test_plot_history_two_panels(tmp_path):
    history = pd.DataFrame(
        {
            "epoch": [1, 2, 3],
            "accuracy": [0.5, 0.7, 0.9],
            "val_accuracy": [0.5, 0.6, 0.6],
            "loss": [0.7, 0.5, 0.3],
            "val_loss": [0.7, 0.6, 0.65],
        }
    )
    fig = plots.plot_history(history, "Basic CNN")
    assert len(fig.axes) == 2
    assert [len(ax.get_lines()) for ax in fig.axes] == [3, 3]  # train, validation, best epoch
    path = plots.save_figure(fig, tmp_path / "sub" / "h.png")
    assert path.stat().st_size > 0
    plots.plt.close(fig)


def test_image_grid_any_dtype():
    images = [np.zeros((8, 8, 3), np.uint8), np.full((8, 8, 3), 200.0), np.ones((8, 8))]
    fig = plots.image_grid(images, ["a", "b", "c"], ncols=2, title_colors=["g", "r", "k"])
    assert len(fig.axes) == 4 and fig.axes[1].get_title() == "b"
    assert plots.to_display(images[1]).max() == pytest.approx(200 / 255)
    plots.plt.close(fig)
