"""run_all.py / utils.runner: overrides, profiles and parameters (the end-to-end runs are in
tests/test_run_all.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

import run_all
from utils import runner


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("EPOCHS=3", ("all", "EPOCHS", 3)),
        ("05:AUG_PASSES=2", ("05", "AUG_PASSES", 2)),
        ("WEIGHTS=None", ("all", "WEIGHTS", None)),
        ("DATA_DIR=/tmp/my data", ("all", "DATA_DIR", "/tmp/my data")),
        ("LEARNING_RATE=1e-5", ("all", "LEARNING_RATE", 1e-5)),
        ("MIXED_PRECISION=True", ("all", "MIXED_PRECISION", True)),
    ],
)
def test_parse_override(text, expected):
    assert run_all.parse_override(text) == expected


@pytest.mark.parametrize("text", ["EPOCHS", "epochs=3", "02:=1"])
def test_parse_override_rejects(text):
    with pytest.raises(ValueError):
        run_all.parse_override(text)


def test_every_profile_names_only_declared_parameters():
    declared = {n: set(runner.notebook_defaults(n)) for n in runner.ORDER if _exists(n)}
    for name, profile in runner.PROFILES.items():
        for scope, values in profile.items():
            if scope in ("split", "all"):
                continue
            if scope in declared:
                unknown = set(values) - declared[scope]
                assert not unknown, f"profile {name}, notebook {scope}: {unknown} not declared"


def test_the_cpu_profile_runs_the_keras_blog_recipe_at_its_own_scale(tmp_path):
    # 11 explains that the post's SGD 1e-4 belongs to x / 255 at 150 px; behind VGG-16's
    # preprocess_input the same step lowered validation accuracy (0.970 -> 0.948, 2026-12-03)
    config = runner.RunConfig(profile="cpu", weights=str(tmp_path / "w.h5"))
    params = runner.parameters_for("11", config, tmp_path, tmp_path / "data")
    assert params.get("PREPROCESSING", "rescale") == "rescale"
    assert params.get("IMAGE_SIZE", 150) == 150
    assert runner.notebook_defaults("11")["PREPROCESSING"] == "rescale"


def test_paths_from_the_command_line_reach_the_notebooks_absolute(tmp_path, monkeypatch):
    # the notebooks run in notebooks/: a path relative to where run_all.py started would
    # point elsewhere there (a benchmark run failed in 08 on "../shared/data/dog-breeds")
    monkeypatch.chdir(tmp_path)
    config = runner.RunConfig(profile="smoke", breeds_source="b", mnist="m.npz", weights="w.h5")
    for number, name in (("01", "BREEDS_SOURCE_DIR"), ("08", "SOURCE_DIR"), ("09", "MNIST_PATH")):
        value = runner.parameters_for(number, config, tmp_path, tmp_path / "data")[name]
        assert Path(value).is_absolute() and Path(value).parent == tmp_path.resolve(), value


def test_the_runner_reads_the_notebooks_it_runs():
    # the order and which notebooks need the cats-vs-dogs split come from the notebooks
    assert runner.ORDER == tuple(f"{i:02d}" for i in range(12))
    reading = [n for n in runner.ORDER if runner.reads_cats_vs_dogs(n)]
    assert reading == ["01", "02", "03", "04", "05", "06", "07", "10", "11"]


def test_parameters_are_filtered_and_overridden(tmp_path):
    config = runner.RunConfig(
        profile="smoke",
        weights=str(tmp_path / "w.h5"),
        overrides={"all": {"EPOCHS": 2}, "02": {"BATCH_SIZE": 4}},
    )
    params = runner.parameters_for("02", config, tmp_path, tmp_path / "data")
    assert params["EPOCHS"] == 2 and params["BATCH_SIZE"] == 4
    assert params["MODELS_DIR"] == str(tmp_path / "models")
    assert "WEIGHTS" not in params  # notebook 02 has no pretrained weights
    params = runner.parameters_for("04", config, tmp_path, tmp_path / "data")
    assert params["WEIGHTS"] == str(tmp_path / "w.h5") and params["EPOCHS"] == 2


def test_unknown_profile(tmp_path):
    with pytest.raises(ValueError, match="unknown profile"):
        runner.run(runner.RunConfig(profile="gpu", run_dir=tmp_path))


def _exists(number: str) -> bool:
    try:
        runner.notebook_path(number)
    except FileNotFoundError:
        return False
    return True


# --- issue 15: refusals before anything runs, stale splits, unique run folders ---------------


def test_15_3_unpadded_scope_means_the_notebook():
    assert run_all.parse_override("2:EPOCHS=7") == ("02", "EPOCHS", 7)


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        ({"all": {"EPOCH": 5}}, "no such parameter; valid: .*EPOCHS"),
        ({"99": {"EPOCHS": 1}}, "no notebook 99"),
        ({"05": {"EPOCHS": 1}}, "notebook 05 is not selected"),
        ({"all": {"EPOCHS": "abc"}}, "EPOCHS expects a number"),
        ({"all": {"EPOCHS": -1}}, "must not be negative"),
        ({"all": {"EPOCHS": 1.5}}, "whole number"),
        ({"02": {"IMAGE_SIZE": True}}, "expects a number"),
    ],
)
def test_15_3_overrides_that_would_do_nothing_are_errors(sets, message):
    config = runner.RunConfig(notebooks=("02", "07"), overrides=sets)
    with pytest.raises(ValueError, match=message):
        run_all.check_overrides(config)


def test_15_3_valid_overrides_pass():
    config = runner.RunConfig(
        notebooks=("02", "04"),
        overrides={"all": {"EPOCHS": 2, "WEIGHTS": None}, "04": {"LEARNING_RATE": 1e-3}},
    )
    run_all.check_overrides(config)


@pytest.mark.parametrize(
    ("text", "message"),
    [("42", "no notebook '42'"), ("abc", "no notebook 'abc'"), ("", "empty"), (" , ", "empty")],
)
def test_15_4_unknown_or_empty_notebook_lists_are_errors(text, message):
    with pytest.raises(ValueError, match=message):
        run_all.parse_notebooks(text)


def test_15_4_notebook_numbers_are_padded_and_ordered():
    assert run_all.parse_notebooks("7, 2,02") == ("02", "07")
    assert run_all.parse_notebooks(None) == runner.ORDER


def _flat_source(folder, n: int = 6):
    from tests.conftest import write_image

    for i in range(n):
        write_image(folder / f"cat.{i}.jpg", color=(200, 60, 40))
        write_image(folder / f"dog.{i}.jpg", color=(40, 60, 200))
    return folder


@pytest.fixture
def small_cpu_profile(monkeypatch):
    sizes = {"train": 2, "validation": 1, "test": 1}
    monkeypatch.setitem(runner.PROFILES, "cpu", {**runner.PROFILES["cpu"], "split": sizes})
    return sizes


def test_15_2_a_stale_split_is_refused_then_rebuilt_with_force(tmp_path, small_cpu_profile):
    from utils.split_folder import DatasetError, read_manifest

    first, second = _flat_source(tmp_path / "a"), _flat_source(tmp_path / "b", 8)
    config = runner.RunConfig(
        profile="cpu", source=str(first), data_root=str(tmp_path / "data"), progress=False
    )
    out = runner.prepare_data(config, tmp_path / "run")
    assert out == tmp_path / "data" / "cats-vs-dogs" and len(read_manifest(out)) == 8
    assert runner.prepare_data(config, tmp_path / "run") == out  # same recipe: reused
    config.source = str(second)
    with pytest.raises(DatasetError, match="another split .*source.*--force"):
        runner.prepare_data(config, tmp_path / "run")
    small_cpu_profile["train"] = 3  # other sizes, same source as the split
    config.source = str(first)
    with pytest.raises(DatasetError, match="train 2 \\(wanted 3\\)"):
        runner.prepare_data(config, tmp_path / "run")
    config.force = True
    runner.prepare_data(config, tmp_path / "run")
    assert len(read_manifest(out)) == 10


def test_15_2_a_missing_source_is_an_error_even_with_a_split(tmp_path, small_cpu_profile):
    from utils.split_folder import DatasetError

    config = runner.RunConfig(
        profile="cpu",
        source=str(_flat_source(tmp_path / "a")),
        data_root=str(tmp_path / "data"),
        progress=False,
    )
    runner.prepare_data(config, tmp_path / "run")
    config.source = str(tmp_path / "nowhere")
    with pytest.raises(DatasetError, match="no such folder"):
        runner.prepare_data(config, tmp_path / "run")


def test_15_13_notebooks_without_the_cats_dogs_split_build_nothing(tmp_path):
    config = runner.RunConfig(
        profile="cpu", notebooks=("00", "08", "09"), data_root=str(tmp_path / "data")
    )
    assert runner.prepare_data(config, tmp_path / "run") is None
    assert not (tmp_path / "data").exists()
    params = runner.parameters_for("09", config, tmp_path / "run", None)
    assert "DATA_DIR" not in params


def test_15_11_runs_started_in_the_same_second_get_their_own_folders(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "ROOT", tmp_path)
    monkeypatch.setattr(runner.time, "strftime", lambda fmt: "20260101-000000")
    folders = {runner.run_folder(runner.RunConfig(profile="smoke")) for _ in range(3)}
    assert len(folders) == 3
    assert sorted(f.name for f in folders) == [
        "20260101-000000-smoke",
        "20260101-000000-smoke-2",
        "20260101-000000-smoke-3",
    ]


def test_15_14_a_failed_check_leaves_no_empty_run_folder(tmp_path, monkeypatch):
    from utils.split_folder import DatasetError

    monkeypatch.setattr(runner, "ROOT", tmp_path)
    config = runner.RunConfig(profile="cpu", source=str(tmp_path / "nowhere"))
    with pytest.raises(DatasetError):
        runner.run(config)
    assert not any((tmp_path / "runs").iterdir())


def test_15_12_run_dir_naming_a_file_is_refused(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        runner.run_folder(runner.RunConfig(run_dir=str(target)))


def test_15_11_two_runs_started_together_build_the_split_once(tmp_path, small_cpu_profile):
    from concurrent.futures import ThreadPoolExecutor

    from utils.split_folder import read_manifest

    source = _flat_source(tmp_path / "a")
    configs = [
        runner.RunConfig(
            profile="cpu", source=str(source), data_root=str(tmp_path / "data"), progress=False
        )
        for _ in range(2)
    ]
    with ThreadPoolExecutor(2) as pool:
        outs = list(pool.map(lambda c: runner.prepare_data(c, tmp_path / "run"), configs))
    assert outs[0] == outs[1] == tmp_path / "data" / "cats-vs-dogs"
    assert len(read_manifest(outs[0])) == 8
    assert not list((tmp_path / "data").glob(".cats-vs-dogs.tmp-*"))


# --- issue 22: nothing stale, nothing mixed, nothing lost -------------------------------------


@pytest.mark.parametrize(
    ("sets", "notebooks", "message"),
    [
        ({"all": {"DATA_DIR": ""}}, ("02",), "use --data or --source"),
        ({"all": {"DATA_DIR": None}}, ("02",), "use --data or --source"),
        ({"all": {"MODELS_DIR": "/tmp/m"}}, ("02",), "use --run-dir"),
        ({"all": {"RESULTS_DIR": "/tmp/r"}}, ("02",), "use --run-dir"),
        ({"all": {"CACHE_DIR": "/tmp/c"}}, ("04",), "use --cache-dir"),
        ({"01": {"SOURCE_DIR": None}}, ("01",), "use --source"),
        ({"all": {"PREVIEW_DIR": ""}}, ("03",), "PREVIEW_DIR needs a path, not an empty one"),
        ({"all": {"MNIST_PATH": ""}}, ("09",), "MNIST_PATH needs a path"),
        ({"01": {"BREEDS_DATA_DIR": None}}, ("01",), "needs a path like '../data/dog-breeds'"),
        ({"all": {"BATCH_SIZE": 0}}, ("02",), "BATCH_SIZE must be 1 or more"),
        ({"all": {"IMAGE_SIZE": 0}}, ("02",), "IMAGE_SIZE must be 32 or more"),
        ({"all": {"IMAGE_SIZE": 16}}, ("04",), "IMAGE_SIZE must be 32 or more"),
        (
            {"all": {"EPOCHS": 0}},
            ("02", "05"),
            r"EPOCHS must be 1 or more .*05 and 06.*notebook 02",
        ),
        ({"08": {"IMAGE_SIZE": 50}}, ("08",), "75 or more .*InceptionV3"),
    ],
)
def test_22_2_overrides_that_would_break_a_notebook_are_refused(sets, notebooks, message):
    # `--set DATA_DIR=` was dropped and the notebook trained on its default dataset; zero
    # batch sizes, image sizes and epochs passed the check and failed inside a notebook
    # ("book": no profile value for one notebook stands in the way of a --set for all)
    config = runner.RunConfig(profile="book", notebooks=notebooks, overrides=sets)
    with pytest.raises(ValueError, match=message):
        run_all.check_overrides(config)


@pytest.mark.parametrize(
    ("sets", "notebooks", "profile", "weights"),
    [
        ({"all": {"WEIGHTS": None, "PREVIEW_DIR": None}}, ("03", "04"), "cpu", None),
        ({"05": {"EPOCHS": 0}, "06": {"EPOCHS": 0}}, ("05", "06"), "cpu", None),  # skips a route
        ({"08": {"IMAGE_SIZE": None}}, ("08",), "cpu", None),  # the backbone's own size
        ({"08": {"IMAGE_SIZE": 48}}, ("08",), "cpu", "w.h5"),  # VGG-16 as 08's backbone
        ({"all": {"IMAGE_SIZE": 48}}, ("02", "08"), "smoke", None),  # smoke gives 08 75 px
        ({"all": {"EPOCHS": 0}}, ("02", "05"), "cpu", None),  # the cpu profile sets 02's
    ],
)
def test_22_2_meaningful_values_pass(sets, notebooks, profile, weights):
    config = runner.RunConfig(profile=profile, notebooks=notebooks, overrides=sets, weights=weights)
    run_all.check_overrides(config)


def _folders_config(tmp_path):
    """Your own photos (red/ and blue/, five each) and a run on them."""
    from tests.conftest import make_class_folders

    colours = {"red": (210, 40, 40), "blue": (40, 60, 210)}
    photos = make_class_folders(tmp_path / "photos", colours, per_class=5, size=(32, 24))
    config = runner.RunConfig(
        profile="cpu",
        own_data=str(photos),
        data_root=str(tmp_path / "data"),
        progress=False,
    )
    return photos, config


def _add(photos, cls):
    from tests.conftest import write_image

    write_image(photos / cls / "added_1.png", size=(32, 24))
    write_image(photos / cls / "added_2.png", size=(32, 24))


def _change_folders(photos, change):
    if change == "added":
        _add(photos, "red")
    elif change == "deleted":
        (photos / "blue" / "blue_000.png").unlink()
    elif change == "moved":
        (photos / "red" / "red_000.png").rename(photos / "blue" / "red_000.png")
    else:  # edited in place (another size)
        from tests.conftest import write_image

        write_image(photos / "red" / "red_001.png", size=(40, 30), color=(90, 90, 90))


@pytest.mark.parametrize("change", ["added", "deleted", "moved", "edited"])
def test_22_1_a_changed_source_folder_is_refused_then_rebuilt(tmp_path, change):
    # photos added, deleted, moved to another class: `--data DIR` reused the old split silently
    import re

    from utils.split_folder import DatasetError, read_manifest

    photos, config = _folders_config(tmp_path)
    out = runner.prepare_data(config, tmp_path / "run")
    _change_folders(photos, change)
    with pytest.raises(
        DatasetError, match=re.escape(f"{out}: the files of {photos.resolve()} changed")
    ):
        runner.prepare_data(config, tmp_path / "run")
    config.force = True
    assert runner.prepare_data(config, tmp_path / "run") == out
    listed = {(row["class"], Path(row["file"]).name) for _, row in read_manifest(out).iterrows()}
    assert listed == {(p.parent.name, p.name) for p in photos.glob("*/*.png")}
    config.force = False
    assert runner.prepare_data(config, tmp_path / "run") == out  # matches again: reused


def test_22_1_the_refusal_says_what_changed_per_class(tmp_path):
    from utils.split_folder import DatasetError

    photos, config = _folders_config(tmp_path)
    runner.prepare_data(config, tmp_path / "run")
    _change_folders(photos, "moved")
    with pytest.raises(DatasetError, match=r"10 files, now 10: blue 5 -> 6, red 5 -> 4"):
        runner.prepare_data(config, tmp_path / "run")


def test_22_1_an_unchanged_source_is_reused_without_a_rebuild(tmp_path, monkeypatch):
    _, config = _folders_config(tmp_path)
    out = runner.prepare_data(config, tmp_path / "run")

    def no_rebuild(*args, **kwargs):
        raise AssertionError("the split was rebuilt")

    monkeypatch.setattr(runner.builder, "build_folders", no_rebuild)
    assert runner.prepare_data(config, tmp_path / "run") == out


def test_22_1_a_split_without_a_record_of_its_files_is_refused(tmp_path):
    # a split.json written before the source's files were recorded: whether they changed is
    # unknown, so the split is not trusted silently
    import json

    from utils.split_folder import DatasetError, read_recipe

    photos, config = _folders_config(tmp_path)
    out = runner.prepare_data(config, tmp_path / "run")
    recipe = read_recipe(out)
    del recipe["source_files"]
    (out / "split.json").write_text(json.dumps(recipe))
    with pytest.raises(DatasetError, match="earlier version.*--force"):
        runner.prepare_data(config, tmp_path / "run")
    config.force = True
    runner.prepare_data(config, tmp_path / "run")
    assert read_recipe(out)["source_files"]["red"]["files"] == 5


def _pet_images(folder):
    """A PetImages-style source: Cat/ and Dog/, five photos each."""
    from tests.conftest import write_image

    for i in range(5):
        write_image(folder / "Cat" / f"cat{i}.jpg", size=(32, 24), color=(200, 60, 40))
        write_image(folder / "Dog" / f"dog{i}.jpg", size=(32, 24), color=(40, 60, 200))
    return folder


@pytest.mark.parametrize("change", ["added", "deleted", "moved"])
def test_22_1_a_changed_cats_vs_dogs_source_is_refused_then_rebuilt(
    tmp_path, small_cpu_profile, change
):
    from utils.split_folder import DatasetError, read_manifest, read_recipe

    source = _pet_images(tmp_path / "PetImages")
    config = runner.RunConfig(
        profile="cpu", source=str(source), data_root=str(tmp_path / "data"), progress=False
    )
    out = runner.prepare_data(config, tmp_path / "run")
    dogs = read_manifest(out).query("`class` == 'dog'")["file"].map(lambda f: Path(f).name)
    used = sorted(dogs)[0]  # a photo of the split: the change touches it
    if change == "added":
        _add(source, "Cat")
    elif change == "deleted":
        (source / "Dog" / used).unlink()
    else:
        (source / "Dog" / used).rename(source / "Cat" / used)
    with pytest.raises(DatasetError, match="PetImages changed.*--force"):
        runner.prepare_data(config, tmp_path / "run")
    config.force = True
    runner.prepare_data(config, tmp_path / "run")
    folder = {"cat": "Cat", "dog": "Dog"}
    for _, row in read_manifest(out).iterrows():  # every photo listed is where the source has it
        assert (source / folder[row["class"]] / Path(row["file"]).name).is_file(), row["file"]
    recorded = read_recipe(out)["source_files"]
    assert {c: recorded[c]["files"] for c in recorded} == {
        c: len(list((source / folder[c]).iterdir())) for c in folder
    }
    config.force = False
    runner.prepare_data(config, tmp_path / "run")  # unchanged since: reused
