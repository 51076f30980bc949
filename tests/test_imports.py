"""Every module of dcd_nb imports in a fresh interpreter, from an unrelated folder (no notebook globals, no relative paths)."""
import subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted("dcd_nb." + p.stem for p in (ROOT/"dcd_nb").glob("*.py") if not p.stem.startswith("_")) + ["dcd_nb"]

def test_fresh_imports(tmp_path):
    """Each module imports on its own: one fresh interpreter, started in an unrelated folder, forgets every dcd_nb module before
    importing the next (torch and the other dependencies stay loaded: one interpreter per module cost 3 s of torch each)."""
    code = ("import importlib, sys, traceback\n"
            f"failed = []\nfor mod in {MODULES!r}:\n"
            "    for k in [k for k in sys.modules if k == 'dcd_nb' or k.startswith('dcd_nb.')]: del sys.modules[k]\n"
            "    try: assert importlib.import_module(mod).__file__.startswith(" + repr(str(ROOT)) + "), 'imported from elsewhere'\n"
            "    except Exception: failed.append(mod + ':\\n' + traceback.format_exc())\n"
            "print('\\n'.join(failed)); sys.exit(1 if failed else 0)")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"modules that do not import on their own in a fresh interpreter:\n{r.stdout}{r.stderr}"

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
