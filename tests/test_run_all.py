"""run_all.py end to end: the smoke profile on real and generated images, overrides, a run on
your own folders with three classes, and a failing notebook; how a run ends (one error line,
its exit code, run_times.csv) and which run folders it refuses."""

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
from utils import runner

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
        "--set",  # a value notebook 02 itself refuses (IMAGE_SIZE=0 is refused before it runs)
        "02:DISTRIBUTE=multiworker",
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


# --- issue 22: one line and the right exit code however a run ends ---------------------------


def _earlier_run(folder):
    """What an earlier run leaves in its folder (notebook 04 done)."""
    (folder / "notebooks").mkdir(parents=True)
    (folder / "models").mkdir()
    (folder / "models" / "old.h5").write_text("a model of the earlier run")
    (folder / "results").mkdir()
    (folder / "results" / "run_times.csv").write_text("notebook,status,seconds\n04,ok,1.0\n")
    return folder


def _main(monkeypatch, tmp_path, notebook, *args: str) -> int:
    """``run_all.main`` on notebook 00 with ``notebook`` in place of papermill."""
    import run_all as cli

    monkeypatch.setattr(runner, "execute_notebook", notebook)
    run_dir = ["--run-dir", str(tmp_path / "run")]
    return cli.main(["--notebooks", "00", *run_dir, "--no-progress", "--no-site", *args])


def _times(tmp_path) -> list[tuple[str, str]]:
    import pandas as pd

    times = pd.read_csv(tmp_path / "run" / "results" / "run_times.csv", dtype=str)
    return list(zip(times["notebook"], times["status"], strict=True))


def _executed(name, output, parameters=None, **kwargs):
    """A notebook that runs: its executed copy is written."""
    Path(output).write_text("{}")
    return Path(output)


def test_22_11_a_full_disk_ends_with_one_line_and_exit_1(tmp_path, monkeypatch, capsys):
    # an OSError (full disk, read-only run folder) ended in a traceback
    import errno

    def full(name, output, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(output))

    code = _main(monkeypatch, tmp_path, full)
    err = capsys.readouterr().err
    assert code == 1, err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "No space left on device" in errors[0], err
    assert "00_concepts.ipynb" in errors[0] and "Traceback" not in err
    assert _times(tmp_path) == [("00", "failed")]


def test_22_11_ctrl_c_ends_with_one_line_and_exit_130(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    code = _main(monkeypatch, tmp_path, interrupted)
    err = capsys.readouterr().err
    assert code == 130, err
    assert [line for line in err.splitlines() if line.startswith("error:")] == [
        "error: interrupted"
    ]
    assert _times(tmp_path) == [("00", "interrupted")]  # which notebook stopped


def test_22_11_sigterm_ends_a_run_as_ctrl_c_does(tmp_path, monkeypatch, capsys):
    # `kill` ended the run at once: no error line, no run_times.csv
    import signal

    def unhandled(signum, frame):  # stands in for the default action: ending the process
        raise RuntimeError("SIGTERM was not handled by run_all.py")

    def killed(*args, **kwargs):
        signal.raise_signal(signal.SIGTERM)

    previous = signal.signal(signal.SIGTERM, unhandled)
    try:
        code = _main(monkeypatch, tmp_path, killed)
        assert signal.getsignal(signal.SIGTERM) is unhandled  # main put the handler back
    finally:
        signal.signal(signal.SIGTERM, previous)
    err = capsys.readouterr().err
    assert code == 130, err
    assert "error: interrupted" in err
    assert _times(tmp_path) == [("00", "interrupted")]


def test_22_3_a_used_run_folder_is_refused_then_emptied_with_overwrite(
    tmp_path, monkeypatch, capsys
):
    # reusing --run-dir mixed runs: the site said "04 ok" from the earlier run
    run = _earlier_run(tmp_path / "run")
    code = _main(monkeypatch, tmp_path, _executed)
    err = capsys.readouterr().err
    assert code == 2 and "is not empty" in err and "--overwrite" in err, err
    assert (run / "models" / "old.h5").is_file()
    assert _main(monkeypatch, tmp_path, _executed, "--overwrite") == 0
    assert not (run / "models" / "old.h5").exists()
    assert _times(tmp_path) == [("00", "ok")] + [
        (n, "skipped: not selected") for n in [f"{i:02d}" for i in range(1, 12)]
    ]


def test_22_4_a_run_folder_inside_the_photos_is_refused(tmp_path, capsys):
    # `--run-dir` inside the `--data` folder wrote plots among the user's photos
    import run_all as cli

    photos = make_class_folders(tmp_path / "photos", {"a": (200, 0, 0), "b": (0, 0, 200)}, 2)
    before = sorted(photos.rglob("*"))
    args = ["--data", str(photos), "--run-dir", str(photos / "run"), "--notebooks", "00"]
    code = cli.main([*args, "--data-root", str(tmp_path / "data"), "--no-progress", "--no-site"])
    err = capsys.readouterr().err
    assert code == 2 and "lies inside --data" in err, err
    assert sorted(photos.rglob("*")) == before  # nothing written


# --- issue 22: the run folder, checked and recorded by the runner --------------------------


@pytest.mark.parametrize(
    ("folders", "message"),
    [
        ({"run_dir": "photos/run"}, "--run-dir .* lies inside --data"),
        ({"cache_dir": "photos/cache"}, "--cache-dir .* lies inside --data"),
        ({"data_root": "photos/splits"}, "--data-root .* lies inside --data"),
        ({"data_root": "photos"}, "--data-root .* lies inside --data"),
        ({"run_dir": "."}, "--data .* lies inside --run-dir"),
    ],
)
def test_22_4_folders_inside_the_photos_are_refused(tmp_path, monkeypatch, folders, message):
    # `--run-dir` inside the `--data` folder wrote plots among the user's photos
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(runner, "ROOT", tmp_path / "repo")  # default runs/, cache/, data/
    (tmp_path / "photos").mkdir()
    config = runner.RunConfig(profile="cpu", own_data="photos", **folders)
    with pytest.raises(ValueError, match=message):
        runner.run(config)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos"]  # nothing written
    assert not any((tmp_path / "photos").iterdir())


def test_22_4_the_petimages_download_in_the_cache_is_a_valid_source(tmp_path):
    cache = tmp_path / "cache"
    config = runner.RunConfig(source=str(cache / "PetImages"), cache_dir=str(cache))
    runner.check_folders(config)
    kaggle = tmp_path / "data" / "dogs-vs-cats" / "train"  # under data/, as the README says
    runner.check_folders(runner.RunConfig(source=str(kaggle), data_root=str(tmp_path / "data")))


def test_22_3_a_run_folder_holds_one_run(tmp_path):
    # reusing --run-dir mixed runs: 07 ranked a model left by an earlier run
    run = _earlier_run(tmp_path / "run")
    with pytest.raises(ValueError, match="is not empty.*--overwrite"):
        runner.run_folder(runner.RunConfig(run_dir=str(run)))
    assert (run / "models" / "old.h5").is_file()
    (run / "cache").mkdir()  # the feature cache kept in the run folder stays
    (run / "cache" / "features.npy").write_text("x")
    config = runner.RunConfig(run_dir=str(run), overwrite=True, cache_dir=str(run / "cache"))
    assert runner.run_folder(config) == run.resolve()
    assert not (run / "models" / "old.h5").exists()
    assert not (run / "results" / "run_times.csv").exists()
    assert (run / "cache" / "features.npy").is_file()
    assert sorted(p.name for p in run.iterdir()) == [
        "cache",
        "logs",
        "models",
        "notebooks",
        "results",
    ]


@pytest.mark.parametrize("holds_a_file_of_its_own", [True, False])
def test_22_3_overwrite_never_empties_a_folder_that_is_not_a_run(tmp_path, holds_a_file_of_its_own):
    # a typo in --run-dir must never delete a user's folder, --overwrite or not
    folder = tmp_path / "mine"
    if holds_a_file_of_its_own:  # a run's folders, and something a run never writes
        _earlier_run(folder)
        (folder / "thesis.tex").write_text("the user's own file")
    else:  # no notebooks/, logs/ or results/run_times.csv
        (folder / "models").mkdir(parents=True)
    with pytest.raises(ValueError, match="does not look like a run folder.*not emptied"):
        runner.run_folder(runner.RunConfig(run_dir=str(folder), overwrite=True))
    assert (folder / "models").is_dir()
    assert not holds_a_file_of_its_own or (folder / "thesis.tex").is_file()


def test_22_3_a_folder_holding_only_the_cache_is_not_an_earlier_run(tmp_path):
    (tmp_path / "run" / "cache").mkdir(parents=True)
    config = runner.RunConfig(run_dir=str(tmp_path / "run"), cache_dir=str(tmp_path / "run/cache"))
    runner.run_folder(config)
    assert (tmp_path / "run" / "cache").is_dir() and (tmp_path / "run" / "notebooks").is_dir()


def test_22_11_an_interrupted_notebook_is_recorded(tmp_path, monkeypatch):
    # Ctrl-C left no trace of which notebook stopped: run_times.csv now says "interrupted"
    import pandas as pd

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "execute_notebook", interrupted)
    config = runner.RunConfig(profile="smoke", run_dir=str(tmp_path / "run"), notebooks=("00",))
    with pytest.raises(KeyboardInterrupt):
        runner.run(config)
    times = pd.read_csv(tmp_path / "run" / "results" / "run_times.csv", dtype=str)
    assert times.to_dict("records")[0]["status"] == "interrupted"
