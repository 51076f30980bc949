"""Numbers that a refactoring must not change: the 2D command's metrics, `make_loss`'s telemetry for every method, the
DCD estimators and the Gaussian closed forms, all at fixed seeds. Run it on two checkouts and compare the printed JSON:

    PYTHONPATH=<checkout> OMP_NUM_THREADS=1 python tools/behaviour_check.py > before.json   # likewise after.json; diff them

Uses only names that exist before and after (`dcd_train`'s `main`, `make_loss`, `dcd_loss` with an explicit estimator)."""
import io, os, sys, json, tempfile, contextlib
import torch
from dcd_nb.core import set_seed
from dcd_nb.energy import GaussianEnergy, MLPEnergy
from dcd_nb.diffusion import VE, VP
from dcd_nb.dcd import dcd_loss, gaussian_dcd, ESTIMATORS
from dcd_nb.cd import gaussian_cd
from dcd_nb.train import make_loss, LOSS_DEFAULTS
from dcd_nb.cli import main

def r(v): return None if v is None else round(float(v), 10)

def gaussians():
    m, S = torch.tensor([1., -0.5], dtype=torch.float64), torch.tensor([[1., .3], [.3, .5]], dtype=torch.float64)
    mu, Sig = torch.zeros(2, dtype=torch.float64), torch.eye(2, dtype=torch.float64)
    out = {f"gaussian_dcd VE({s})": r(gaussian_dcd(m, S, mu, Sig, VE(s))) for s in (0.1, 0.5, 1.0)}
    out["gaussian_dcd VP(0.8)"] = r(gaussian_dcd(m, S, mu, Sig, VP(0.8)))
    out.update({f"gaussian_cd K={k}": r(gaussian_cd(m, S, mu, Sig, 0.05, k)) for k in (1, 5, 50)})
    E = GaussianEnergy(mu.float() + .2, Sig.float() * 1.5)
    x = torch.distributions.MultivariateNormal(m.float(), S.float()).sample((512,)) if not set_seed(0) else None
    for est in ESTIMATORS:
        set_seed(1); out[f"dcd_loss {est} (M=16, K=5)"] = r(dcd_loss(E, x, VE(0.5), est, n_particles=16, n_steps=5))
    return out

def losses():
    out = {}
    for method in LOSS_DEFAULTS:
        set_seed(0); E = MLPEnergy(2, hidden=16, depth=2); x = torch.randn(64, 2)
        set_seed(1); d = make_loss(method)(E, x)
        out[method] = dict(kw=make_loss(method).kw, **{k: r(d[k]) if d.get(k) is not None else None for k in ("loss", "e_pos", "e_neg")})
    return out

def cli(tmp):
    out = {}
    runs = {"toy2d dcd": ["toy2d", "--method", "dcd", "--steps", "150", "--eval-samples", "4000", "--mmd-samples", "400"],
            "toy2d cd": ["toy2d", "--method", "cd", "--steps", "100", "--eval-samples", "4000", "--mmd-samples", "400"],
            "generate 8gaussians dcd": ["generate", "--dataset", "8gaussians", "--steps", "40", "--levels", "3", "--n-samples", "300",
                                        "--sample-steps", "2", "--batch-size", "64"]}
    for name, argv in runs.items():
        d = os.path.join(tmp, name.replace(" ", "_"))
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            rc = main(argv + ["--seed", "0", "--out", d, "--no-progress", "--device", "cpu"])
        m = json.load(open(os.path.join(d, "metrics.json")))
        keep = m.get("metrics") or {k: v for k, v in m["scores"].items() if not isinstance(v, list)}
        out[name] = dict(rc=rc, steps=m["steps"], **{k: (round(v, 10) if isinstance(v, float) else v) for k, v in keep.items()},
                         final_loss=r((m.get("final") or m.get("loss"))["loss" if "final" in m else "last"]))
    return out

if __name__ == "__main__":
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(dict(gaussians=gaussians(), losses=losses(), cli=cli(tmp)), indent=1, sort_keys=True))
