"""The notebooks run end to end on the shipped data, in the project's own kernel, and save their
figures; scripts/figures rebuilds exactly the files committed under docs/figures/."""

import os
import subprocess
import sys

import nbformat
import pytest
from conftest import ROOT
from nbclient import NotebookClient

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
FIGURES = ROOT / "docs" / "figures"
# The first cell run in each notebook: fail at once if the kernel is not this virtualenv's Python.
KERNEL_CHECK = f"import sys\nassert sys.prefix == {sys.prefix!r}, sys.prefix"


def test_there_are_the_four_notebooks_with_outputs_stripped():
    assert [p.name for p in NOTEBOOKS] == [
        "01-who-leads.ipynb",
        "02-timeline.ipynb",
        "03-querying.ipynb",
        "04-tables-in-pandas.ipynb",
    ]
    for path in NOTEBOOKS:
        book = nbformat.read(path, as_version=4)
        nbformat.validate(book)
        assert book.metadata.kernelspec.name == "python3"
        for cell in book.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, (
                    f"{path.name}: strip the outputs before committing"
                )


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_saves_its_figures(path, tmp_path, monkeypatch):
    figures = tmp_path / "figures"
    figures.mkdir()
    monkeypatch.setenv("MMDGRAPH_FIGURES", str(figures))
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # notebook 3 writes its exports to a temporary folder
    book = nbformat.read(path, as_version=4)
    book.cells.insert(0, nbformat.v4.new_code_cell(KERNEL_CHECK))
    # Raises CellExecutionError, naming the cell and the error, if any cell fails.
    NotebookClient(book, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    saved = {p.name for p in figures.iterdir()}
    assert all(name.endswith(".png") for name in saved)
    assert saved <= {p.name for p in FIGURES.glob("*.png")}, "new figure: run scripts/figures and commit docs/figures/"
    if path.stem != "03-querying":  # the querying notebook writes files, not figures
        assert saved, f"{path.name} saved no figure"
    for name in saved:
        assert (figures / name).stat().st_size > 10_000


@pytest.mark.slow
def test_scripts_figures_rebuilds_exactly_the_committed_figures(tmp_path):
    (tmp_path / "stale.png").write_bytes(b"old")
    env = dict(os.environ, PYTHONUTF8="1")
    script = ROOT / "scripts" / "figures"
    done = subprocess.run([str(script), str(tmp_path)], capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stderr
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == sorted(p.name for p in FIGURES.iterdir() if not p.name.startswith("."))
    assert "co-chair-network.png" in made and "co-chair.html" in made and "stale.png" not in made


def test_readme_figure_exists():
    assert (FIGURES / "co-chair-network.png").stat().st_size > 20_000
