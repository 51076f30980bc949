"""Every module of dcd_nb imports in a fresh interpreter, from an unrelated folder (no notebook globals, no relative paths)."""
import subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted("dcd_nb." + p.stem for p in (ROOT/"dcd_nb").glob("*.py") if not p.stem.startswith("_")) + ["dcd_nb"]

@pytest.mark.parametrize("mod", MODULES)
def test_fresh_import(mod, tmp_path):
    r = subprocess.run([sys.executable, "-c", f"import {mod}"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"`import {mod}` failed in a fresh interpreter:\n{r.stderr}"

def test_public_names(tmp_path):
    "`from dcd_nb import ...` gives a first program's names, without loading matplotlib (the denoisers load on first use)."
    code = ("import sys, dcd_nb; assert 'matplotlib' not in sys.modules, 'import dcd_nb loaded matplotlib'\n"
            "from dcd_nb import *\n"
            "missing = [n for n in dcd_nb.__all__ if n not in globals()]; assert not missing, missing\n"
            "import dcd_nb.denoise as dn; assert dn.__name__ == 'dcd_nb.denoise'")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr

def test_export_keeps_init(tmp_path):
    "nbdev's export rewrites only the __version__ line of dcd_nb/__init__.py: the public names survive it."
    from nbdev.config import update_version
    lib = tmp_path/"dcd_nb"; lib.mkdir(); text = (ROOT/"dcd_nb"/"__init__.py").read_text(); (lib/"__init__.py").write_text(text)
    cwd = Path.cwd()
    try:
        import os; os.chdir(ROOT); update_version(lib)
    finally: os.chdir(cwd)
    assert (lib/"__init__.py").read_text() == text
