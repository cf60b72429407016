"""Notebook 01 end to end: builds both splits and shows their tables and sample photos."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import CATS_DOGS_SOURCE, DOG_BREEDS_SOURCE, HAVE_SHARED, cell_text, write_image

pytestmark = [pytest.mark.notebook, pytest.mark.slow]


def test_notebook_01_builds_and_reuses_splits(tmp_path, run_notebook):
    if HAVE_SHARED:
        source, breeds = CATS_DOGS_SOURCE, DOG_BREEDS_SOURCE
    else:
        source = tmp_path / "train"
        for i in range(12):
            write_image(source / f"cat.{i}.jpg", color=(200, 60, 40))
            write_image(source / f"dog.{i}.jpg", color=(40, 60, 200))
        breeds = tmp_path / "breeds"
        rows = []
        for b, color in (("beagle", (120, 80, 40)), ("pug", (30, 30, 30))):
            for i in range(5):
                write_image(breeds / "train" / f"{b}{i}.jpg", color=color)
                rows.append((f"{b}{i}", b))
        pd.DataFrame(rows, columns=["id", "breed"]).to_csv(breeds / "labels.csv", index=False)
    params = dict(
        SOURCE_DIR=str(source),
        DATA_DIR=str(tmp_path / "cats-vs-dogs"),
        TRAIN=6,
        VALIDATION=3,
        TEST=3,
        BREEDS_SOURCE_DIR=str(breeds),
        BREEDS_DATA_DIR=str(tmp_path / "dog-breeds"),
        IMAGE_SIZE=64,
        SAMPLES_PER_CLASS=3,
    )
    nb = run_notebook("01", **params)
    manifest = pd.read_csv(tmp_path / "cats-vs-dogs" / "manifest.csv")
    assert manifest.groupby(["split", "class"]).size().to_dict() == {
        (s, c): n for s, n in (("train", 6), ("validation", 3), ("test", 3)) for c in ("cat", "dog")
    }
    assert (tmp_path / "dog-breeds" / "manifest.csv").is_file()
    assert any(
        o.get("output_type") == "display_data" for c in nb.cells for o in c.get("outputs", [])
    )
    text = cell_text(nb)
    assert "breeds" in text

    # a second run reuses both splits instead of failing on the existing folders
    nb = run_notebook("01", **params)
    assert "Reusing the split" in cell_text(nb)


def test_notebook_01_missing_breeds_data_is_a_note(tmp_path, run_notebook, workspace):
    nb = run_notebook(
        "01",
        SOURCE_DIR=None,
        DATA_DIR=str(workspace.data),
        BREEDS_SOURCE_DIR=str(tmp_path / "absent"),
        BREEDS_DATA_DIR=str(tmp_path / "dog-breeds"),
        IMAGE_SIZE=32,
        SAMPLES_PER_CLASS=2,
    )
    assert "No dog-breed data" in cell_text(nb)


def test_notebook_01_rebuilds_a_split_whose_source_changed(tmp_path, run_notebook):
    """A photo added to the source after the split was built: "Restart & Run All" must not
    reuse the old split (its split.json records the source's files)."""
    source = tmp_path / "train"
    for i in range(8):
        write_image(source / f"cat.{i}.jpg", color=(200, 60, 40))
        write_image(source / f"dog.{i}.jpg", color=(40, 60, 200))
    params = dict(
        SOURCE_DIR=str(source),
        DATA_DIR=str(tmp_path / "cats-vs-dogs"),
        TRAIN=4,
        VALIDATION=2,
        TEST=2,
        BREEDS_DATA_DIR=None,
        IMAGE_SIZE=32,
        SAMPLES_PER_CLASS=2,
    )
    run_notebook("01", **params)
    write_image(source / "cat.8.jpg", color=(210, 70, 50))
    text = cell_text(run_notebook("01", **params))
    assert "Reusing the split" not in text
    assert "Rebuilding:" in text and "changed since it was built (16 files, now 17" in text
