"""utils.evaluation: every number checked against scikit-learn on known inputs."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import keras
import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.preprocessing import label_binarize

from utils import evaluation as ev


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _binary_case(n=200, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p = np.clip(0.35 * y + rng.uniform(0, 0.65, n), 0, 1)  # informative, imperfect
    return y, p


def _multi_case(n=300, k=4, seed=1):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(0, 1, (n, k))
    logits[np.arange(n), y] += 1.2
    return y, np.exp(logits) / np.exp(logits).sum(1, keepdims=True)


# --- outputs, probabilities, labels --------------------------------------------------------
def test_as_probabilities_and_to_labels():
    sigmoid = np.array([[0.1], [0.8], [0.5]])
    proba = ev.as_probabilities(sigmoid)
    np.testing.assert_allclose(proba, [[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
    np.testing.assert_allclose(ev.as_probabilities(sigmoid.ravel()), proba)
    # one rule, whatever the shape it is given: p > 0.5 is class 1 (0.5 itself is class 0)
    for outputs in (sigmoid, sigmoid.ravel(), proba):
        np.testing.assert_array_equal(ev.to_labels(outputs), [0, 1, 0])
    np.testing.assert_array_equal(ev.to_labels(sigmoid, threshold=0.05), [1, 1, 1])
    _, softmax = _multi_case(20)
    np.testing.assert_allclose(ev.as_probabilities(softmax), softmax)
    np.testing.assert_array_equal(ev.to_labels(softmax), softmax.argmax(1))
    with pytest.raises(ValueError):
        ev.as_probabilities(np.zeros((2, 2, 2)))


def _tiny_model(units, activation, size=8):
    inputs = keras.Input((size, size, 3))
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.Rescaling(1 / 255)(inputs))
    return keras.Model(inputs, keras.layers.Dense(units, activation=activation)(x))


def test_predict_proba_sigmoid_and_softmax():
    import tensorflow as tf

    x = np.random.default_rng(0).uniform(0, 255, (7, 8, 8, 3)).astype("float32")
    binary = _tiny_model(1, "sigmoid")
    raw = binary.predict(x, verbose=0)[:, 0]
    proba = ev.predict_proba(binary, x, batch_size=3)
    assert proba.shape == (7, 2)
    np.testing.assert_allclose(proba[:, 1], raw, rtol=1e-6)
    ds = tf.data.Dataset.from_tensor_slices(x).batch(4)
    np.testing.assert_allclose(ev.predict_proba(binary, ds), proba, rtol=1e-6)
    multi = ev.predict_proba(_tiny_model(3, "softmax"), x)
    assert multi.shape == (7, 3)
    np.testing.assert_allclose(multi.sum(1), 1, rtol=1e-5)


# --- metrics against scikit-learn ----------------------------------------------------------
@pytest.mark.parametrize("case", ["binary", "multi"])
def test_get_metrics_match_sklearn(case):
    y, outputs = _binary_case() if case == "binary" else _multi_case()
    y_pred = ev.to_labels(outputs)
    got = ev.get_metrics(y, y_pred)
    assert set(got) == {"accuracy", "precision", "recall", "f1"}
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, y_pred))
    for key, fn in (("precision", skm.precision_score), ("recall", skm.recall_score)):
        assert got[key] == pytest.approx(fn(y, y_pred, average="weighted", zero_division=0))
    assert got["f1"] == pytest.approx(skm.f1_score(y, y_pred, average="weighted"))
    assert ev.get_metrics(y, y_pred, average="macro")["f1"] == pytest.approx(
        skm.f1_score(y, y_pred, average="macro")
    )


def test_get_metrics_hand_checked_values():
    got = ev.get_metrics([0, 0, 0, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1, 0, 1])
    assert got["accuracy"] == pytest.approx(6 / 8)
    # class 0: precision 2/3; class 1: precision 4/5; weights 3/8 and 5/8
    assert got["precision"] == pytest.approx(3 / 8 * 2 / 3 + 5 / 8 * 4 / 5)


def test_roc_auc_binary_multiclass_and_absent_classes():
    y, p = _binary_case()
    assert ev.roc_auc(y, p) == pytest.approx(skm.roc_auc_score(y, p))
    assert ev.roc_auc(y, p[:, None]) == pytest.approx(skm.roc_auc_score(y, p))
    y, proba = _multi_case()
    assert ev.roc_auc(y, proba) == pytest.approx(
        skm.roc_auc_score(y, proba, multi_class="ovr", average="macro")
    )
    onehot = label_binarize(y, classes=np.arange(4))
    assert ev.roc_auc(y, proba, average="micro") == pytest.approx(
        skm.roc_auc_score(onehot, proba, average="micro")
    )
    y_some = np.where(y == 3, 0, y)  # class 3 absent from the labels: left out, no warning
    present = onehot[:, :3].copy()
    present[:, 0] |= onehot[:, 3]
    assert ev.roc_auc(y_some, proba) == pytest.approx(
        skm.roc_auc_score(present, proba[:, :3], average="macro")
    )
    assert np.isnan(ev.roc_auc([1, 1, 1], [0.2, 0.5, 0.9]))


def test_confusion_matrix_frame_and_report_match_sklearn(capsys):
    y, proba = _multi_case(k=3)
    y_pred = ev.to_labels(proba)
    names = ["cat", "dog", "fox"]
    frame = ev.confusion_matrix_frame(y, y_pred, names)
    np.testing.assert_array_equal(frame.to_numpy(), skm.confusion_matrix(y, y_pred))
    assert list(frame.index) == [("Actual:", n) for n in names]
    assert frame.loc[("Actual:", "dog"), ("Predicted:", "fox")] == np.sum((y == 1) & (y_pred == 2))

    report = ev.classification_report_frame(y, y_pred, names)
    ref = skm.classification_report(y, y_pred, target_names=names, output_dict=True)
    for row in (*names, "macro avg", "weighted avg"):
        for col in ("precision", "recall", "f1-score"):
            assert report.loc[row, col] == pytest.approx(ref[row][col])
        assert report.loc[row, "support"] == ref[row]["support"]
    assert report.loc["accuracy", "f1-score"] == pytest.approx(ref["accuracy"])
    # a class the labels never hold still has its row (120 breeds, a small test set)
    absent = ev.classification_report_frame(y, y_pred, [*names, "wolf"])
    assert absent.loc["wolf", "support"] == 0


def test_display_model_performance_metrics_prints_everything(capsys):
    y, p = _binary_case(50)
    y_pred = ev.to_labels(p)
    scores = ev.display_model_performance_metrics(y, y_pred, ["cat", "dog"], proba=p)
    out = capsys.readouterr().out
    assert "accuracy" in out and "weighted avg" in out and "Predicted:" in out
    assert skm.classification_report(y, y_pred, target_names=["cat", "dog"], digits=4) in out
    assert scores["f1"] == pytest.approx(skm.f1_score(y, y_pred, average="weighted"))
    assert scores["roc_auc"] == pytest.approx(skm.roc_auc_score(y, p))


# --- figures and tables --------------------------------------------------------------------
def test_plot_roc_binary_is_sklearns_curve_and_adds_models_on_one_axes():
    y, p = _binary_case()
    ax = ev.plot_roc(y, p, ["cat", "dog"], name="model A")
    fpr, tpr, _ = skm.roc_curve(y, p)
    curve = ax.lines[0]
    np.testing.assert_allclose(curve.get_xdata(), fpr)
    np.testing.assert_allclose(curve.get_ydata(), tpr)
    assert f"{skm.roc_auc_score(y, p):.2f}" in curve.get_label()
    ev.plot_roc(y, 1 - p, ["cat", "dog"], name="model B", ax=ax)
    labels = [line.get_label() for line in ax.lines]
    assert len(ax.lines) == 3 and sum("Chance" in label for label in labels) == 1


def test_plot_roc_of_photos_of_one_class_draws_no_curve():
    """Test photos of one class only (the other has none, as a one-photo class): a ROC curve is
    undefined. It used to be drawn all NaN, labelled 'AUC = nan', with a warning: now none."""
    ax = ev.plot_roc([0, 0, 0], [0.2, 0.7, 0.1], ["cat", "dog"], name="model A")
    assert len(ax.lines) == 0
    y, p = _binary_case()
    ev.plot_roc(y, p, ["cat", "dog"], name="model B", ax=ax)  # the next model's curve still shows
    assert len(ax.lines) == 2


def test_plot_roc_multiclass_micro_macro_and_a_few_classes():
    k, n = 12, 400
    rng = np.random.default_rng(3)
    y = rng.integers(0, 10, n)  # classes 10 and 11 absent
    proba = rng.dirichlet(np.ones(k), n)
    proba[np.arange(n), y] += 0.5
    proba /= proba.sum(1, keepdims=True)
    names = [f"breed_{i}" for i in range(k)]
    ax = ev.plot_roc(y, proba, names, max_classes=4)
    labels = [line.get_label() for line in ax.lines]
    assert labels[0].startswith("micro-average") and "macro-average" in labels[2]
    onehot = label_binarize(y, classes=np.arange(k))
    fpr, tpr, _ = skm.roc_curve(onehot.ravel(), proba.ravel())
    np.testing.assert_allclose(ax.lines[0].get_xdata(), fpr)
    assert len(ax.lines) == 3 + 4  # micro, chance, macro, 4 classes
    # macro: the class curves averaged on the union of their false-positive rates
    curves = [skm.roc_curve(onehot[:, i], proba[:, i])[:2] for i in range(10)]
    grid = np.unique(np.concatenate([c[0] for c in curves]))
    np.testing.assert_allclose(
        ax.lines[2].get_ydata(), np.mean([np.interp(grid, *c) for c in curves], axis=0)
    )
    only_micro = ev.plot_roc(y, proba, names, name="m", per_class=False)
    assert [line.get_label().split(" (")[0] for line in only_micro.lines] == [
        "m: micro-average",
        "Chance level",
    ]


def test_top_k_and_confident_mistakes():
    proba = np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])
    table = ev.top_k(proba, ["a", "b", "c"], 2)
    assert list(table.columns) == ["class", "probability", "class_2", "probability_2"]
    assert table["class"].tolist() == ["b", "a"] and table["class_2"].tolist() == ["c", "c"]
    np.testing.assert_allclose(table["probability_2"], [0.3, 0.3])
    assert len(ev.top_k(proba, ["a", "b", "c"], 10).columns) == 6  # capped at 3 classes
    sigmoid = ev.top_k(np.array([[0.9], [0.2]]), ["cat", "dog"])
    assert sigmoid["class"].tolist() == ["dog", "cat"]
    np.testing.assert_allclose(sigmoid["probability"], [0.9, 0.8])

    y = np.array([0, 1, 1, 0, 1])
    p = np.array([0.1, 0.9, 0.3, 0.8, 0.6])  # wrong: 2 (confidence 0.7) and 3 (0.8)
    np.testing.assert_array_equal(ev.confident_mistakes(y, p), [3, 2])
    assert len(ev.confident_mistakes(y, y.astype(float))) == 0
