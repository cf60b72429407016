"""utils.training (output layer and loss per number of classes, history facts) and the shared
figures of utils.plots."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import pytest

from utils import plots, training


@pytest.mark.parametrize(
    ("n_classes", "units", "activation", "loss"),
    [
        (2, 1, "sigmoid", "binary_crossentropy"),
        (3, 3, "softmax", "sparse_categorical_crossentropy"),
        (120, 120, "softmax", "sparse_categorical_crossentropy"),
    ],
)
def test_output_layer_and_loss_follow_the_number_of_classes(n_classes, units, activation, loss):
    layer = training.output_layer(n_classes)
    assert layer.units == units and layer.activation.__name__ == activation
    assert training.loss_for(n_classes) == loss


def test_one_class_is_refused():
    with pytest.raises(ValueError, match="at least 2 classes"):
        training.output_layer(1)


def test_history_frame_counts_epochs_from_one():
    model = keras.Sequential([keras.Input((4,)), training.output_layer(2)])
    model.compile("sgd", training.loss_for(2), metrics=["accuracy"])
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    history = model.fit(x, y, validation_data=(x, y), epochs=3, verbose=0)
    frame = training.history_frame(history)
    assert frame["epoch"].tolist() == [1, 2, 3]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(frame.columns)
    assert training.history_frame(history.history).equals(frame)


def test_summarize_and_best_epoch():
    history = pd.DataFrame(
        {
            "epoch": [1, 2, 3],
            "accuracy": [0.6, 0.9, 1.0],
            "val_loss": [0.6, 0.4, 0.4],
            "val_accuracy": [0.6, 0.7, 0.8],
        }
    )
    assert training.best_epoch(history) == 2  # first of equal minima, like ModelCheckpoint
    assert training.best_epoch(history, "val_accuracy") == 3
    facts = training.summarize(history)
    assert facts == {
        "epochs": 3,
        "best_epoch": 2,
        "best_val_loss": 0.4,
        "best_epoch_val_accuracy": 0.7,
        "best_val_accuracy": 0.8,
        "final_val_accuracy": 0.8,
        "train_val_gap": 0.2,
    }


def test_best_epoch_all_nan_is_an_error():
    with pytest.raises(ValueError, match="NaN"):
        training.best_epoch(pd.DataFrame({"epoch": [1, 2], "val_loss": [np.nan, np.nan]}))


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


def test_fit_keep_best_reloads_the_best_epoch_and_logs(tmp_path):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    model = keras.Sequential([keras.Input((4,)), training.output_layer(2)])
    model.compile(keras.optimizers.SGD(0.5), training.loss_for(2), metrics=["accuracy"])
    checkpoint, log = tmp_path / "ck" / "m.keras", tmp_path / "log.csv"
    best, history, seconds = training.fit_keep_best(
        model, x, (x[:16], y[:16]), epochs=4, checkpoint=checkpoint, log=log, y=y, verbose=0
    )
    assert not checkpoint.exists() and len(pd.read_csv(log)) == 4 and seconds > 0
    kept = training.best_epoch(history)
    loss = best.evaluate(x[:16], y[:16], verbose=0)[0]
    assert loss == pytest.approx(history.loc[kept - 1, "val_loss"], rel=1e-4)


def test_describe_says_gap_and_turn():
    facts = {"best_epoch": 2, "epochs": 5, "train_val_gap": 0.123}
    assert training.describe(facts, "m").splitlines() == [
        "m: train-validation accuracy gap at the kept epoch (2): +0.123",
        "m: validation loss turned up after epoch 2 of 5",
    ]
    facts = {"best_epoch": 5, "epochs": 5, "train_val_gap": -0.01}
    assert "still at its lowest at the last epoch (5)" in training.describe(facts, "m")
