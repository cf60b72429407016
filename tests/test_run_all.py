"""run_all.py end to end: the smoke profile on real and generated images, overrides, a run on
your own folders with three classes, and a failing notebook."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.conftest import (
    CATS_DOGS_SOURCE,
    DOG_BREEDS_SOURCE,
    MNIST_NPZ,
    ROOT,
    VGG16_WEIGHTS,
    cell_text,
    make_class_folders,
    needs_shared,
    write_image,
)

ALL = [
    "00_concepts",
    "01_datasets",
    "02_cnn_from_scratch",
    "03_cnn_augmentation",
    "04_vgg16_feature_extractor",
    "05_vgg16_feature_extractor_augmentation",
    "06_vgg16_fine_tuning",
    "07_model_evaluation",
    "08_dog_breeds",
    "09_negative_transfer",
    "10_how_much_data",
    "11_keras_blog_2016",
]


def run_all(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "run_all.py", "--no-progress", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )


def injected(run_dir: Path, stem: str) -> str:
    nb = nbformat.read(run_dir / "notebooks" / f"{stem}.ipynb", as_version=4)
    cells = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    return cells[0].source if cells else ""


@pytest.mark.notebook
@pytest.mark.slow
@needs_shared
def test_smoke_profile_on_real_data_offline(tmp_path):
    run_dir = tmp_path / "run"
    result = run_all(
        "--profile",
        "smoke",
        "--source",
        str(CATS_DOGS_SOURCE),
        "--weights",
        str(VGG16_WEIGHTS),
        "--breeds-source",
        str(DOG_BREEDS_SOURCE),
        "--mnist",
        str(MNIST_NPZ),
        "--run-dir",
        str(run_dir),
        "--cache-dir",
        str(tmp_path / "cache"),
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert sorted(p.stem for p in (run_dir / "notebooks").glob("*.ipynb")) == ALL
    assert sorted(p.stem for p in (run_dir / "logs").glob("*.log")) == ALL
    models = {p.name for p in (run_dir / "models").glob("*.h5")}
    assert {"cats_dogs_basic_cnn.h5", "cats_dogs_tlearn_finetune_img_aug_cnn.h5"} <= models
    table = (run_dir / "results" / "07_model_evaluation.md").read_text()
    assert "accuracy" in table
    assert "Results (notebook 07)" in result.stdout and str(run_dir) in result.stdout
    # the smoke split is small and lives in the run folder
    manifest = (run_dir / "data" / "cats-vs-dogs" / "manifest.csv").read_text().splitlines()
    assert len(manifest) == 1 + 2 * (20 + 10 + 10)
    assert_clean_pages(run_dir)


# What TensorFlow prints on start-up (and tf.function on retracing), which a learner reads as
# failures: none of it may reach an executed notebook.
NOISE = ("cuInit", "cudart_stub", "absl::InitializeLog", "oneDNN", "cpu_feature_guard", "retracing")


def assert_clean_pages(run_dir: Path) -> None:
    """No TensorFlow start-up or retracing noise in any output of the executed notebooks."""
    for path in sorted((run_dir / "notebooks").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for out in cell.get("outputs", []):
                text = str(out.get("text", "")) + str(out.get("data", {}).get("text/plain", ""))
                found = [n for n in NOISE if n in text]
                assert not found, f"{path.name}: {found} in an output: {text[:300]}"


@pytest.mark.notebook
@pytest.mark.slow
def test_smoke_on_generated_images_with_overrides(tmp_path):
    source = tmp_path / "train"
    for i in range(40):
        write_image(source / f"cat.{i}.jpg", size=(80, 64), color=(200, 60, 40))
        write_image(source / f"dog.{i}.jpg", size=(80, 64), color=(40, 60, 200))
    run_dir = tmp_path / "run"
    result = run_all(
        "--profile",
        "smoke",
        "--source",
        str(source),
        "--run-dir",
        str(run_dir),
        "--notebooks",
        "1,2,7",
        "--set",
        "BATCH_SIZE=4",
        "--set",
        "02:EPOCHS=2",
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert sorted(p.stem for p in (run_dir / "notebooks").glob("*.ipynb")) == [
        "01_datasets",
        "02_cnn_from_scratch",
        "07_model_evaluation",
    ]
    params = injected(run_dir, "02_cnn_from_scratch")
    assert "EPOCHS = 2" in params and "BATCH_SIZE = 4" in params and "IMAGE_SIZE = 64" in params
    assert "BATCH_SIZE = 4" in injected(run_dir, "07_model_evaluation")
    assert "skipped: not selected" in result.stdout
    assert (run_dir / "models" / "cats_dogs_basic_cnn.json").is_file()


@pytest.mark.notebook
@pytest.mark.slow
def test_own_folders_with_three_classes(tmp_path):
    data = make_class_folders(
        tmp_path / "flowers",
        {"red": (210, 40, 40), "green": (40, 190, 60), "blue": (40, 60, 210)},
        per_class=15,
        size=(72, 60),
    )
    run_dir = tmp_path / "run"
    weights = ["--weights", str(VGG16_WEIGHTS)] if VGG16_WEIGHTS.is_file() else []
    weights = weights or ["--set", "WEIGHTS=None"]
    result = run_all(
        "--profile",
        "smoke",
        "--data",
        str(data),
        "--run-dir",
        str(run_dir),
        "--cache-dir",
        str(tmp_path / "cache"),
        *weights,
        "--data-root",
        str(tmp_path / "data"),
        "--notebooks",
        "1,2,4,7,8",  # the split, a CNN, a VGG-16 model, the evaluation, the multi-class recipe
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (tmp_path / "data" / "flowers" / "manifest.csv").is_file()
    from utils.saving import load_with_info

    # the models are named after the dataset, not after the case study
    models = {p.name for p in (run_dir / "models").glob("*.h5")}
    wanted = {"flowers_basic_cnn.h5", "flowers_cnn_dropout.h5", "flowers_tlearn_basic_cnn.h5"}
    assert wanted <= models, models
    assert not [name for name in models if name.startswith(("cats_dogs", "dog_breeds"))], models
    assert {"flowers_vgg16.h5", "flowers_inception_v3.h5"} & models, models  # 08's model
    model, info = load_with_info(run_dir / "models" / "flowers_basic_cnn.h5")
    assert info["class_names"] == ["blue", "green", "red"]
    assert model.output_shape[-1] == 3  # a softmax head, chosen from the data
    table = (run_dir / "results" / "07_model_evaluation.csv").read_text()
    assert table.count("\n") >= 3
    assert "flowers_tlearn_basic_cnn.h5" in table and "book" not in table  # no book columns
    executed = {p.stem for p in (run_dir / "notebooks").glob("*.ipynb")}
    # 01 shows the user's own split; 08, the multi-class recipe, runs on three classes
    assert {"01_datasets", "08_dog_breeds"} <= executed
    assert "00_concepts" not in executed and "09_negative_transfer" not in executed
    nb01 = nbformat.read(run_dir / "notebooks" / "01_datasets.ipynb", as_version=4)
    assert "blue" in str(nb01.cells) and "green" in str(nb01.cells)
    # what the cells print speaks of the data's classes, never of the case study's cats and dogs
    for path in sorted((run_dir / "notebooks").glob("*.ipynb")):
        printed = cell_text(nbformat.read(path, as_version=4))
        mentions = re.findall(r".{0,60}\b(?:cats?|dogs?)\b.{0,60}", printed, re.IGNORECASE)
        assert not mentions, f"{path.name} prints: {mentions[:3]}"


@pytest.mark.notebook
@pytest.mark.slow
def test_failing_notebook_shows_the_cell(tmp_path):
    source = tmp_path / "train"
    for i in range(40):
        write_image(source / f"cat.{i}.jpg", color=(200, 60, 40))
        write_image(source / f"dog.{i}.jpg", color=(40, 60, 200))
    result = run_all(
        "--profile",
        "smoke",
        "--source",
        str(source),
        "--run-dir",
        str(tmp_path / "run"),
        "--notebooks",
        "02",
        "--set",
        "02:IMAGE_SIZE=0",
    )
    assert result.returncode == 1
    assert "notebook failed" in result.stderr and "02_cnn_from_scratch" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "gpu"], "invalid choice"),
        (["--set", "epochs=3"], "UPPER_CASE"),
        (["--set", "EPOCH=5"], "no such parameter; valid:"),
        (["--set", "99:EPOCHS=1"], "no notebook 99"),
        (["--set", "EPOCHS=abc"], "expects a number"),
        (["--set", "EPOCHS=-1"], "must not be negative"),
        (["--notebooks", "42"], "no notebook '42'"),
        (["--notebooks", "abc"], "no notebook 'abc'"),
        (["--notebooks", ""], "empty"),
        (["--source", "/nonexistent/photos"], "no such folder"),
    ],
)
def test_15_3_15_4_bad_arguments_stop_before_anything_runs(args, message, tmp_path, capsys):
    import run_all as cli

    try:
        code = cli.main([*args, "--run-dir", str(tmp_path / "run"), "--no-progress"])
    except SystemExit as exit_:  # argparse's own refusals
        code = exit_.code
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert message in err
    assert "Everything was written" not in out
    assert not (tmp_path / "run").exists()  # nothing left behind
