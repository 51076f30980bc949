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
