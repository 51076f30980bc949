"""One pytest test per notebook, run by nbdev's own runner (the same one `nbdev_test` uses).
`#| notest` cells never run; `#| slow` cells run unless DCD_SKIP_SLOW=1 (GPU cells check for CUDA themselves)."""
import os, sys
from pathlib import Path
import pytest, torch
from nbdev.config import get_config
from nbdev import test as nbdev_test_mod

from execnb.shell import CaptureShell

class _PngShell(CaptureShell):
    """nbdev's runner with two changes. Figures are drawn into 1x PNGs, not retina (2x): a fifth less CPU on the figure-heavy
    notebooks (measured). And an error while a result is displayed fails the notebook: IPython's display formatter catches it
    (a figure whose mathtext does not parse is drawn only then) and shows a traceback, so nbdev's runner passed such notebooks."""
    def __init__(self, path=None, mpl_format="png", history=False, timeout=None):
        self._display_errors = []; super().__init__(path, "png", history, timeout)
    def showtraceback(self, exc_tuple=None, *args, **kwargs):
        e = (exc_tuple or sys.exc_info())[1]
        if e is not None: self._display_errors.append(e)
        return super().showtraceback(exc_tuple, *args, **kwargs)
    def run(self, code, *args, **kwargs):
        self._display_errors = []; out = super().run(code, *args, **kwargs)
        if self.exc is None and self._display_errors: self.exc = self._display_errors[0]
        return out
nbdev_test_mod.CaptureShell = _PngShell

ROOT = Path(__file__).resolve().parents[1]
NBS = sorted(p for p in (ROOT/"nbs").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts and not p.name.startswith("_"))

def _flags():
    skip = ["notest"]
    if os.environ.get("DCD_SKIP_SLOW") == "1": skip.append("slow")
    force = [f for f in get_config(path=ROOT).tst_flags.split() if f not in skip]
    return skip, force

@pytest.fixture(autouse=True)
def fresh_torch_state():
    "Notebooks share a worker process: give each one torch's defaults, whatever the previous notebook set."
    dtype, grad = torch.get_default_dtype(), torch.is_grad_enabled()
    torch.set_default_dtype(torch.float32); torch.set_grad_enabled(True)
    yield
    torch.set_default_dtype(dtype); torch.set_grad_enabled(grad)

@pytest.mark.parametrize("nb", NBS, ids=[p.stem for p in NBS])
def test_notebook(nb, monkeypatch):
    monkeypatch.chdir(nb.parent)  # notebooks run from their own folder, as in Jupyter and nbdev_test
    skip, force = _flags()
    ok, secs = nbdev_test_mod.test_nb(nb, skip_flags=skip, force_flags=force, showerr=True, basepath=ROOT)
    assert ok, f"{nb.name} failed (see the traceback above); ran {secs:.1f}s with skip={skip} force={force}"

def test_found_notebooks(): assert len(NBS) >= 2, f"no notebooks found under {ROOT/'nbs'}"
