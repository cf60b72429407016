"""utils.evaluation: every number checked against scikit-learn on known inputs."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.preprocessing import label_binarize

from tests.conftest import make_class_folders
from utils import evaluation as ev
from utils.saving import save_model


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
    proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return y, proba


# --- probabilities -------------------------------------------------------------------------
def test_as_probabilities_binary_sigmoid_becomes_two_columns():
    p = np.array([[0.1], [0.8], [0.5]])
    out = ev.as_probabilities(p)
    np.testing.assert_allclose(out, [[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
    np.testing.assert_allclose(ev.as_probabilities(p.ravel()), out)


def test_as_probabilities_softmax_passes_and_logits_are_normalised():
    y, proba = _multi_case(20)
    np.testing.assert_allclose(ev.as_probabilities(proba), proba)
    logits = np.log(proba) + 3.0
    np.testing.assert_allclose(ev.as_probabilities(logits), proba, atol=1e-9)
    np.testing.assert_allclose(ev.as_probabilities([[0.0], [2.0]])[:, 1], [0.5, 1 / (1 + np.e**-2)])


def _tiny_model(units, activation, size=8):
    inp = keras.Input((size, size, 3))
    x = keras.layers.Rescaling(1 / 255)(inp)
    x = keras.layers.GlobalAveragePooling2D()(x)
    out = keras.layers.Dense(units, activation=activation)(x)
    return keras.Model(inp, out)


def test_predict_proba_and_classes_sigmoid_and_softmax():
    x = np.random.default_rng(0).uniform(0, 255, (7, 8, 8, 3)).astype("float32")
    binary = _tiny_model(1, "sigmoid")
    raw = binary.predict(x, verbose=0)[:, 0]
    proba = ev.predict_proba(binary, x, batch_size=3)
    assert proba.shape == (7, 2)
    np.testing.assert_allclose(proba[:, 1], raw, rtol=1e-6)
    np.testing.assert_array_equal(ev.predict_classes(binary, x), (raw > 0.5).astype(int))

    multi = _tiny_model(3, "softmax")
    proba = ev.predict_proba(multi, x)
    assert proba.shape == (7, 3)
    np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-5)
    np.testing.assert_array_equal(ev.predict_classes(multi, x), proba.argmax(1))


# --- metrics against scikit-learn ----------------------------------------------------------
@pytest.mark.parametrize("case", ["binary", "multi"])
def test_get_metrics_match_sklearn(case):
    if case == "binary":
        y, p = _binary_case()
        y_pred = (p > 0.5).astype(int)
    else:
        y, proba = _multi_case()
        y_pred = proba.argmax(1)
    got = ev.get_metrics(y, y_pred)
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, y_pred))
    for key, fn in (
        ("precision", skm.precision_score),
        ("recall", skm.recall_score),
        ("f1", skm.f1_score),
    ):
        assert got[key] == pytest.approx(fn(y, y_pred, average="weighted", zero_division=0))
    assert set(got) == {"accuracy", "precision", "recall", "f1"}


def test_get_metrics_hand_checked_values():
    y_true = [0, 0, 0, 1, 1, 1, 1, 1]
    y_pred = [0, 0, 1, 1, 1, 1, 0, 1]
    got = ev.get_metrics(y_true, y_pred)
    assert got["accuracy"] == pytest.approx(6 / 8)
    # class 0: precision 2/3 recall 2/3; class 1: precision 4/5 recall 4/5; weights 3/8, 5/8
    assert got["precision"] == pytest.approx(3 / 8 * 2 / 3 + 5 / 8 * 4 / 5)
    assert got["recall"] == pytest.approx(6 / 8)


def test_roc_auc_binary_and_multiclass_match_sklearn():
    y, p = _binary_case()
    assert ev.roc_auc(y, p) == pytest.approx(skm.roc_auc_score(y, p))
    assert ev.roc_auc(y, np.column_stack([1 - p, p])) == pytest.approx(skm.roc_auc_score(y, p))
    y, proba = _multi_case()
    assert ev.roc_auc(y, proba) == pytest.approx(
        skm.roc_auc_score(y, proba, multi_class="ovr", average="macro")
    )
    onehot = label_binarize(y, classes=np.arange(proba.shape[1]))
    assert ev.roc_auc(y, proba, average="micro") == pytest.approx(
        skm.roc_auc_score(onehot, proba, average="micro")
    )
    assert np.isnan(ev.roc_auc([1, 1, 1], [0.2, 0.5, 0.9]))


def test_roc_curves_binary_match_sklearn_roc_curve():
    y, p = _binary_case()
    curves = ev.roc_curves(y, p, ["cat", "dog"])
    assert list(curves) == ["dog"]
    fpr, tpr, _ = skm.roc_curve(y, p)
    np.testing.assert_allclose(curves["dog"].fpr, fpr)
    np.testing.assert_allclose(curves["dog"].tpr, tpr)
    assert curves["dog"].auc == pytest.approx(skm.roc_auc_score(y, p))


def test_roc_curves_multiclass_per_class_micro_macro():
    y, proba = _multi_case()
    names = ["a", "b", "c", "d"]
    curves = ev.roc_curves(y, proba, names)
    assert list(curves) == ["micro", "macro", *names]
    onehot = label_binarize(y, classes=np.arange(4))
    for i, name in enumerate(names):
        fpr, tpr, _ = skm.roc_curve(onehot[:, i], proba[:, i])
        np.testing.assert_allclose(curves[name].fpr, fpr)
        np.testing.assert_allclose(curves[name].tpr, tpr)
        assert curves[name].auc == pytest.approx(skm.roc_auc_score(onehot[:, i], proba[:, i]))
    fpr, tpr, _ = skm.roc_curve(onehot.ravel(), proba.ravel())
    np.testing.assert_allclose(curves["micro"].fpr, fpr)
    np.testing.assert_allclose(curves["micro"].tpr, tpr)
    assert curves["micro"].auc == pytest.approx(skm.roc_auc_score(onehot, proba, average="micro"))
    # macro: the per-class curves averaged on the union of their FPRs (scikit-learn's recipe)
    grid = np.unique(np.concatenate([curves[n].fpr for n in names]))
    mean_tpr = np.mean([np.interp(grid, curves[n].fpr, curves[n].tpr) for n in names], axis=0)
    np.testing.assert_allclose(curves["macro"].tpr, mean_tpr)
    assert curves["macro"].auc == pytest.approx(skm.auc(grid, mean_tpr))
    # close to the mean per-class AUC
    assert curves["macro"].auc == pytest.approx(ev.roc_auc(y, proba), abs=0.02)


def test_many_classes_with_classes_absent_from_the_test_set():
    """120 breeds, 200 test images: some classes never occur; nothing breaks or warns."""
    k, n = 120, 200
    rng = np.random.default_rng(3)
    y = rng.integers(0, 60, n)  # classes 60..119 absent
    proba = rng.dirichlet(np.ones(k), n)
    proba[np.arange(n), y] += 0.5
    proba /= proba.sum(1, keepdims=True)
    names = [f"breed_{i:03d}" for i in range(k)]
    present = np.unique(y)
    onehot = label_binarize(y, classes=np.arange(k))
    assert ev.roc_auc(y, proba) == pytest.approx(
        skm.roc_auc_score(onehot[:, present], proba[:, present], average="macro")
    )
    curves = ev.roc_curves(y, proba, names)
    assert len(curves) == 2 + len(present)
    frame = ev.confusion_matrix_frame(y, proba.argmax(1), names)
    assert frame.shape == (k, k) and frame.to_numpy().sum() == n
    report = ev.classification_report_frame(y, proba.argmax(1), names)
    assert report.loc["breed_119", "support"] == 0
    assert report.loc["accuracy", "f1-score"] == pytest.approx(
        skm.accuracy_score(y, proba.argmax(1))
    )
    text = ev.classification_report_text(y, proba.argmax(1), names)
    assert "breed_119" in text
    fig = ev.plot_confusion_matrix(y, proba.argmax(1), names)
    assert fig.axes
    fig = ev.plot_roc(y, proba, names, max_classes=6)
    assert len(fig.axes[0].lines) == 2 + 6 + 1  # micro, macro, 6 classes, chance line


def test_confusion_matrix_frame_is_labelled_and_matches_sklearn():
    y, proba = _multi_case(k=3)
    y_pred = proba.argmax(1)
    frame = ev.confusion_matrix_frame(y, y_pred, ["cat", "dog", "fox"])
    np.testing.assert_array_equal(frame.to_numpy(), skm.confusion_matrix(y, y_pred))
    assert list(frame.index) == [("Actual:", "cat"), ("Actual:", "dog"), ("Actual:", "fox")]
    assert list(frame.columns.get_level_values(1)) == ["cat", "dog", "fox"]
    assert frame.loc[("Actual:", "dog"), ("Predicted:", "fox")] == np.sum((y == 1) & (y_pred == 2))


def test_classification_report_frame_matches_sklearn_dict():
    y, p = _binary_case()
    y_pred = (p > 0.5).astype(int)
    frame = ev.classification_report_frame(y, y_pred, ["cat", "dog"])
    ref = skm.classification_report(y, y_pred, target_names=["cat", "dog"], output_dict=True)
    for row in ("cat", "dog", "macro avg", "weighted avg"):
        for col in ("precision", "recall", "f1-score"):
            assert frame.loc[row, col] == pytest.approx(ref[row][col])
        assert frame.loc[row, "support"] == ref[row]["support"]
    assert frame.loc["accuracy", "f1-score"] == pytest.approx(ref["accuracy"])


# --- Evaluation, evaluate() ----------------------------------------------------------------
def test_evaluation_object_metrics_and_mistakes():
    y = np.array([0, 1, 1, 0, 1])
    p = np.array([0.1, 0.9, 0.3, 0.8, 0.6])
    e = ev.Evaluation(y, p, ["cat", "dog"], paths=[f"f{i}.jpg" for i in range(5)], name="m")
    np.testing.assert_array_equal(e.y_pred, [0, 1, 0, 1, 1])
    np.testing.assert_allclose(e.confidence, [0.9, 0.9, 0.7, 0.8, 0.6])
    scores = e.metrics()
    assert scores["accuracy"] == pytest.approx(0.6)
    assert scores["roc_auc"] == pytest.approx(skm.roc_auc_score(y, p))
    np.testing.assert_array_equal(e.mistakes(), [3, 2])  # most confident mistake first
    table = e.predictions()
    assert list(table.columns) == ["file", "true", "predicted", "confidence", "correct"]
    assert table["correct"].sum() == 3
    with pytest.raises(ValueError):
        ev.Evaluation(y, p, ["a", "b", "c"])


def test_evaluate_on_arrays_and_on_a_split_folder(tmp_path):
    split = make_class_folders(
        tmp_path / "test", {"cat": (200, 60, 40), "dog": (40, 60, 200)}, per_class=5
    )
    model = _tiny_model(1, "sigmoid", size=16)
    path = save_model(model, tmp_path / "m.h5", ["cat", "dog"], epochs=1, train_seconds=2.5)
    from utils.saving import load_model

    loaded, info = load_model(path)
    result = ev.evaluate(loaded, split, info=info, name="tiny", batch_size=4)
    assert len(result.y_true) == 10 and result.proba.shape == (10, 2)
    assert result.class_names == ["cat", "dog"]
    assert result.paths[0].endswith("cat_000.png")
    assert result.info["train_seconds"] == 2.5

    from utils.data import load_arrays

    x, y, _ = load_arrays(split, (16, 16))
    again = ev.evaluate(loaded, x, labels=y, class_names=["cat", "dog"])
    np.testing.assert_allclose(again.proba, result.proba, atol=1e-3)
    with pytest.raises(ValueError):
        ev.evaluate(loaded, x)


def test_evaluate_saved_skips_models_of_other_classes(tmp_path):
    split = make_class_folders(
        tmp_path / "test", {"cat": (200, 60, 40), "dog": (40, 60, 200)}, per_class=3
    )
    models = tmp_path / "models"
    save_model(_tiny_model(1, "sigmoid", 16), models / "a.h5", ["cat", "dog"], epochs=1)
    save_model(_tiny_model(3, "softmax", 16), models / "b.h5", ["x", "y", "z"], epochs=1)
    (models / "broken.h5").write_text("not a model")
    head = keras.Sequential([keras.Input((2, 2, 8)), keras.layers.Flatten(), keras.layers.Dense(1)])
    save_model(head, models / "c_head.h5", ["cat", "dog"], epochs=1)
    found, missing = ev.find_models(models, {"a.h5": "Model A", "gone.h5": "Gone"})
    assert list(found) == ["Model A", "b.h5", "broken.h5", "c_head.h5"] and missing == ["Gone"]
    lines = []
    evaluations, skipped = ev.evaluate_saved(found, split, log=lines.append)
    assert list(evaluations) == ["Model A"]
    assert set(skipped) == {"b.h5", "broken.h5", "c_head.h5"}
    assert "not RGB images" in skipped["c_head.h5"] and "classes" in skipped["b.h5"]
    assert len(lines) == 1 and "Model A" in lines[0]


# --- display, tables, figures --------------------------------------------------------------
def test_display_model_performance_metrics_prints_everything(capsys):
    y, p = _binary_case(50)
    y_pred = (p > 0.5).astype(int)
    scores = ev.display_model_performance_metrics(y, y_pred, ["cat", "dog"], proba=p)
    out = capsys.readouterr().out
    assert "accuracy" in out and "weighted avg" in out and "Predicted:" in out
    assert scores["f1"] == pytest.approx(skm.f1_score(y, y_pred, average="weighted"))
    assert scores["roc_auc"] == pytest.approx(skm.roc_auc_score(y, p))
    frame = ev.display_confusion_matrix(y, y_pred, ["cat", "dog"])
    assert frame.to_numpy().sum() == 50
    fig = ev.display_confusion_matrix_pretty(y, y_pred, ["cat", "dog"], normalize="true")
    assert fig.axes


def _evaluations():
    out = {}
    for i, name in enumerate(["weak", "strong", "middle"]):
        y, p = _binary_case(100, seed=i)
        if name == "strong":
            p = np.clip(p + 0.3 * y, 0, 1)
        info = {"params": 1000 * (i + 1), "train_seconds": 1.5 * i, "epochs": 3, "best_epoch": 2}
        out[name] = ev.Evaluation(y, p, ["cat", "dog"], name=name, info=info)
    return out


def test_results_table_save_and_plot(tmp_path):
    evaluations = _evaluations()
    table = ev.results_table(evaluations, book={"strong": {"accuracy": 0.96}})
    assert len(table) == 3 and table["model"].iloc[0] == "strong"
    assert table["f1"].is_monotonic_decreasing
    for col in ("accuracy", "precision", "recall", "f1", "roc_auc"):
        assert table[col].between(0, 1).all()
    assert table.loc[table["model"] == "strong", "book_accuracy"].item() == 0.96
    assert table.set_index("model")["params"].to_dict() == {
        "weak": 1000,
        "strong": 2000,
        "middle": 3000,
    }
    row = table.set_index("model").loc["weak"]
    e = evaluations["weak"]
    assert row["f1"] == pytest.approx(skm.f1_score(e.y_true, e.y_pred, average="weighted"))
    csv_path, md_path = ev.save_results_table(table, tmp_path / "results")
    back = pd.read_csv(csv_path)
    assert list(back["model"]) == list(table["model"])
    md = md_path.read_text()
    assert md.count("\n") == 2 + len(table) and "| strong" in md
    fig = ev.plot_results_table(table)
    assert len(fig.axes[0].containers) == 3
    fig = ev.plot_confusion_matrices(evaluations)
    assert len([a for a in fig.axes if a.get_title()]) == 3
    fig = ev.plot_roc_comparison(evaluations, title="all")
    assert len(fig.axes[0].lines) == 4
    single = ev.single_image_table(evaluations, 0)
    assert list(single.columns) == ["model", "true", "predicted", "confidence", "P(cat)", "P(dog)"]
    np.testing.assert_allclose(single[["P(cat)", "P(dog)"]].sum(1), 1)


def test_plot_mistakes_uses_the_files(tmp_path):
    split = make_class_folders(tmp_path / "t", {"cat": (200, 60, 40), "dog": (40, 60, 200)}, 3)
    from utils.data import list_images

    paths, y, names = list_images(split)
    p = np.where(y == 1, 0.2, 0.9)  # all wrong
    e = ev.Evaluation(y, p, names, paths=paths, name="bad")
    fig = ev.plot_mistakes(e, n=4, image_size=16, ncols=2)
    titles = [a.get_title() for a in fig.axes if a.get_title()]
    assert len(titles) == 4 and all(t.startswith("true:") for t in titles)
    assert ev.single_image_table({"bad": e}, paths[0])["predicted"].item() == "dog"
    good = ev.Evaluation(y, 1.0 - p, names, paths=paths)
    with pytest.raises(ValueError):
        ev.plot_mistakes(good)
