#!/usr/bin/env python
"""The denoising study: CD vs DCD vs DSM energies on Fashion-MNIST at equal training wall-clock, plus noisy and blur baselines.

    .venv/bin/python benchmarks/bench_denoise.py [--quick] [--grid] [--sigmas 0.1 0.2 0.3] [--budget SEC] [--arch mlp|conv|conv-wide]
                                                 [--n-test N] [--seed S] [--device cpu|cuda] [--out benchmarks/results/denoise.json]

Protocol (11_denoise explains it): for each σ every method trains a fresh energy of the same architecture for `budget` seconds
(`fit(time_limit=...)`); each method's denoiser (Tweedie, MAP, posterior mean) is picked on held-out training images; PSNR and
SSIM on the first `n_test` test images. `--grid` runs the tuning grid at σ = 0.2 instead: CD and DCD variants (chain length,
step, energy penalty, estimator, where DCD's posterior chains start) and DSM, each for the same budget, with diagnostics.
Uses only dcd_nb's public functions; writes a small JSON (no weights) and a PNG; prints markdown tables with machine and versions.
"""
import argparse, json, math, os, platform, sys, time
import torch
import matplotlib
matplotlib.use("Agg")
import dcd_nb
from dcd_nb.core import DCDError, cpu_name
from dcd_nb.denoise import denoise_study, study_table, study_targets, study_figure

QUICK = dict(budget=25., n_test=500, n_val=200, arch="mlp")   # an MLP: on 2 CPU cores it takes ~10x more steps than the conv net in 25 s
FULL = dict(budget=120., n_test=2000, n_val=500, arch="conv")
GRID = {  # label -> make_loss arguments; σ-dependent entries use the placeholder "σ"
    "cd K=10 h=0.01 λ=0.01": dict(method="cd", k=10, step_size=0.01, energy_reg=0.01),
    "cd K=10 h=0.01 λ=0.001": dict(method="cd", k=10, step_size=0.01, energy_reg=0.001),
    "cd K=10 h=0.01 λ=0": dict(method="cd", k=10, step_size=0.01),
    "cd K=10 h=0.001 λ=0.01": dict(method="cd", k=10, step_size=0.001, energy_reg=0.01),
    "cd K=30 h=0.003 λ=0.01": dict(method="cd", k=30, step_size=0.003, energy_reg=0.01),
    "cd K=10 h=0.1 noise 0.005 λ=0.01": dict(method="cd", k=10, step_size=0.1, noise_scale=0.005, energy_reg=0.01),
    "dcd langevin K=5 noisy start λ=0.01": dict(method="dcd", estimator="langevin", sigma="σ", n_steps=5, energy_reg=0.01),
    "dcd langevin K=5 noisy start λ=0.001": dict(method="dcd", estimator="langevin", sigma="σ", n_steps=5, energy_reg=0.001),
    "dcd langevin K=5 noisy start λ=0": dict(method="dcd", estimator="langevin", sigma="σ", n_steps=5),
    "dcd mala K=5 data start h=0.05σ²": dict(method="dcd", estimator="mala", sigma="σ", n_steps=5, step_size="0.05σ²", init="data"),
    "dcd mala K=5 noisy start h=0.5σ²": dict(method="dcd", estimator="mala", sigma="σ", n_steps=5, step_size="0.5σ²"),
    "dcd laplace λ=0.01": dict(method="dcd", estimator="laplace", sigma="σ", energy_reg=0.01),
    "dcd laplace λ=0.001": dict(method="dcd", estimator="laplace", sigma="σ", energy_reg=0.001),
    "dcd importance M=16": dict(method="dcd", estimator="importance", sigma="σ", n_particles=16),
    "dsm": dict(method="dsm", sigma="σ"),
}


def machine_info(device):
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() and str(device).startswith("cuda") else None
    return dict(cpu=cpu_name(), cores=os.cpu_count(), torch_threads=torch.get_num_threads(), gpu=gpu, python=platform.python_version(),
                torch=torch.__version__, dcd_nb=dcd_nb.__version__)


def grid_methods(sigma):
    "The grid's make_loss arguments with σ filled in (and σ-scaled steps)."
    out = {}
    for label, kw in GRID.items():
        kw = dict(kw)
        if kw.get("sigma") == "σ": kw["sigma"] = sigma
        if isinstance(kw.get("step_size"), str): kw["step_size"] = float(kw["step_size"][:-2]) * sigma**2   # "cσ²"
        out[label] = kw
    return out


def to_json(res):
    "The study's result without the example images (they go to the PNG)."
    return dict(config=res["config"], rows=res["rows"], machine=res["machine"], wall_sec=res["wall_sec"], command=res["command"])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help=f"budget {QUICK['budget']:g} s per method and σ, {QUICK['n_test']} test images")
    p.add_argument("--grid", action="store_true", help="the tuning grid at σ = 0.2 instead of the study")
    p.add_argument("--sigmas", nargs="+", type=float); p.add_argument("--budget", type=float); p.add_argument("--n-test", type=int)
    p.add_argument("--arch", choices=["conv", "conv-wide", "mlp"], help="energy network (default: mlp with --quick, else conv)"); p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default=None); p.add_argument("--data-root", default=None, help="Fashion-MNIST folder (default: the Debian package)")
    p.add_argument("--out", default=None, help="JSON path (default benchmarks/results/denoise[_grid][_quick].json)")
    a = p.parse_args(argv)
    cfg = dict(QUICK if a.quick else FULL)
    if a.budget: cfg["budget"] = a.budget
    if a.n_test: cfg["n_test"] = a.n_test
    if a.arch: cfg["arch"] = a.arch
    sigmas = a.sigmas or ([0.2] if a.grid else [0.1, 0.2, 0.3])
    name = "denoise" + ("_grid" if a.grid else "") + ("_quick" if a.quick else "")
    out = a.out or os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", name + ".json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    t0 = time.time()
    methods = grid_methods(sigmas[0]) if a.grid else ("cd", "dcd", "dsm")
    if a.grid and len(sigmas) > 1: p.error("--grid runs at one σ")
    try:
        res = denoise_study(sigmas=sigmas, methods=methods, budget=cfg["budget"], arch=cfg["arch"], n_val=cfg["n_val"], n_test=cfg["n_test"],
                            seed=a.seed, device=a.device, data_root=a.data_root, progress=False)
    except DCDError as e:
        print(f"bench_denoise: error: {e}", file=sys.stderr); return 2
    res["machine"], res["wall_sec"], res["command"] = machine_info(res["config"]["device"]), time.time() - t0, " ".join(sys.argv)
    json.dump(to_json(res), open(out, "w"), indent=1, default=str)
    png = None if a.grid else out[:-5] + ".png"   # the grid has too many rows for one figure
    if png: study_figure(res, 0.2 if 0.2 in sigmas else sigmas[0]).savefig(png, dpi=80)
    m, c = res["machine"], res["config"]
    print(f"# denoising {'grid' if a.grid else 'study'}: Fashion-MNIST 28×28, arch {c['arch']}, budget {c['budget']:g} s per method and σ, "
          f"batch {c['batch_size']}, lr {c['lr']}, seed {c['seed']}, {c['n_train']} train / {c['n_val']} val / {c['n_test']} test images")
    print(f"# machine: {m['cpu']} ({m['cores']} cores, {m['torch_threads']} torch threads), GPU {m['gpu']}, device {c['device']}; "
          f"Python {m['python']}, torch {m['torch']}, dcd_nb {m['dcd_nb']}; wall {res['wall_sec']:.0f} s\n")
    print(study_table(res))
    if not a.grid:
        print("\nTargets (picked denoisers' test PSNR): DCD ≥ CD + 1 dB and DCD ≥ DSM")
        for t in study_targets(res):
            print(f"- σ={t['sigma']}: DCD − CD = {t['dcd_minus_cd']:+.2f} dB ({'met' if t['cd_target'] else 'NOT met'}), "
                  f"DCD − DSM = {t['dcd_minus_dsm']:+.2f} dB ({'met' if t['dsm_target'] else 'NOT met'})")
    print(f"\nwrote {out}" + (f" and {png}" if png else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
