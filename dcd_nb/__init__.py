__version__ = "0.0.1"
"""Diffusion Contrastive Divergence for energy-based models.

`from dcd_nb import ...` gives the names a first program needs; the submodules (`dcd_nb.core`, `dcd_nb.energy`, ...,
`dcd_nb.denoise`, `dcd_nb.generate`) keep everything. This file is written by hand: `nbdev_export` only rewrites the
`__version__` line above."""
from .core import DCDError, set_seed, get_device
from .energy import Energy, GaussianEnergy, MLPEnergy, TimeMLPEnergy, score
from .diffusion import VE, VP
from .samplers import langevin, mala
from .cd import cd_loss
from .dcd import dcd_loss
from .baselines import dsm_loss
from .train import fit, make_loss, load_energy

_LAZY = ("tweedie_denoise", "map_denoise", "posterior_mean_denoise", "multilevel_loss", "psnr", "add_noise")  # dcd_nb.denoise pulls in the image code: loaded on first use

def __getattr__(name):
    if name in _LAZY:
        from . import denoise as _denoise
        value = getattr(_denoise, name); globals()[name] = value
        return value
    raise AttributeError(f"module 'dcd_nb' has no attribute {name!r}")

__all__ = ["DCDError", "set_seed", "get_device", "Energy", "GaussianEnergy", "MLPEnergy", "TimeMLPEnergy", "score", "VE", "VP",
           "langevin", "mala", "cd_loss", "dcd_loss", "dsm_loss", "fit", "make_loss", "load_energy", *_LAZY]
