"""benchmarks/cpu_profile.py's report: the sums it prints and the comparison of two run folders."""

from __future__ import annotations

import importlib.util

import pandas as pd

from tests.conftest import ROOT

SPEC = importlib.util.spec_from_file_location("cpu_profile", ROOT / "benchmarks" / "cpu_profile.py")
cpu_profile = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(cpu_profile)


def _run(folder, minutes: dict[str, float], head: float, finetuned: float):
    results = folder / "results"
    results.mkdir(parents=True)
    pd.DataFrame(
        {"notebook": list(minutes), "status": "ok", "seconds": [m * 60 for m in minutes.values()]}
    ).to_csv(results / "notebook_times.csv", index=False)
    pd.DataFrame({"model": ["head"], "validation_accuracy": [head]}).to_csv(
        results / "04_vgg16_feature_extractor.csv", index=False
    )
    pd.DataFrame({"model": ["fine-tuned"], "accuracy": [finetuned]}).to_csv(
        results / "07_model_evaluation.csv", index=False
    )
    return folder


def test_report_sums_the_case_study_and_the_books_notebooks_and_compares_two_runs(tmp_path):
    minutes = {f"{n:02d}": 1.0 for n in range(12)}  # 00-11, a minute each
    old = _run(tmp_path / "run-150", minutes, head=0.963, finetuned=0.966)
    new = _run(tmp_path / "run-180", minutes, head=0.975, finetuned=0.976)
    text = cpu_profile.report(new, "cmd", 60.0, ("0.1", "0.2"), baseline=old)
    assert "All notebooks: 12.0 min; the cats-vs-dogs case study (01-07): 7.0 min" in text
    assert "the book's notebooks (00-09): 10.0 min" in text
    assert "## This run against `run-150`" in text
    table = cpu_profile.compare(old, new).set_index("model (notebook, split)")
    assert table.loc["head (04, validation)"].tolist() == [0.963, 0.975]
    assert table.loc["fine-tuned (07, test)"].tolist() == [0.966, 0.976]
