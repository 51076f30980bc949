"""Time-dependent EBMs on 8 Gaussians: what makes multi-level DCD find all eight modes, and DCD vs DSM vs multi-level CD
at equal wall-clock training time.

Protocol: 8 Gaussians (dcd_nb.toy.sample_2d, fresh samples every step), a VE ladder sigma = 0.05 -> 3 with 6 values
(5 modelled levels), batch 256 (one random level per row), Adam lr 1e-3, EMA 0.99, a training budget in CPU seconds of one
thread (the process's CPU time, so that runs sharing a busy machine get the same compute; on an idle machine it equals
wall-clock time);
then 5,000 samples by recovery sampling (MALA, 20 steps per level) from N(0, 3^2 I). Scores (dcd_nb.generate.mode_coverage):
the share of samples within 2 standard deviations of a mode centre (the data: 1 - e^-2 = 86.5 %) and the largest deviation
of a mode's share from 1/8; and the relative score error per level against the exact diffused mixture.

    python benchmarks/bench_generate.py                   # the ablation at 60 s and the methods at 60 s and 120 s (about 25 CPU-min)
    python benchmarks/bench_generate.py --only ablation   # one part (the committed JSON: both parts, in two processes)
    python benchmarks/bench_generate.py --only seeds --seeds 0 1 2 --budgets 60   # the methods table on 3 seeds (about 10 CPU-min)

The image study lives in benchmarks/bench_images.py.

Prints markdown tables with the machine, versions and seed; writes benchmarks/results/generate_2d.json.
"""
import argparse, functools, json, math, os, sys, time
import numpy as np
import torch
from dcd_nb.core import set_seed
from dcd_nb.energy import TimeMLPEnergy, score
from dcd_nb.toy import sample_2d
from dcd_nb.diffusion import ve_sigmas
from dcd_nb.generate import (NoiseLadder, multilevel_dcd_loss, multilevel_dsm_loss, recovery_sample, mode_coverage,
                             eight_gaussians_modes)
from dcd_nb.train import fit
from dcd_nb.generate import multilevel_cd_loss
from dcd_nb.core import machine_info   # the same machine record as the 2D study
from cpu_clock import use_cpu_clock   # this script's folder is on sys.path

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "results", "generate_2d.json")
LADDER = dict(sigma_min=0.05, sigma_max=3., values=6)
TRAIN = dict(batch_size=256, lr=1e-3, ema=0.99)
N_SAMPLES, SAMPLE_STEPS, KEEP = 5000, 20, 400   # samples scored, MALA steps per level, samples stored per row for the figure

def ladder(): return NoiseLadder(ve_sigmas(LADDER["sigma_min"], LADDER["sigma_max"], LADDER["values"]))

def multilevel_cd(E, x, lad, n_steps=20, step_fraction=0.1):
    "Multi-level CD-K, the command's `--method cd`, with this study's chain length."
    return multilevel_cd_loss(E, x, lad, n_steps=n_steps, step_fraction=step_fraction, parts=True)

# name -> (what it changes, energy kwargs, loss builder)
VARIANTS = {
    "concat + single draws (K=5)":   ("the plain build and the previous DCD default", dict(layout="concat", scale="none"), ("dcd", dict(n_steps=5, antithetic=False))),
    "concat + antithetic (K=1)":     ("antithetic pairs alone", dict(layout="concat", scale="none"), ("dcd", dict(n_steps=1))),
    "add + single draws (K=5)":      ("the network build alone", dict(), ("dcd", dict(n_steps=5, antithetic=False))),
    "add + antithetic (K=1)":        ("both: the default", dict(), ("dcd", dict(n_steps=1))),
    "add, scale none + antithetic":  ("output f instead of f/σ", dict(scale="none"), ("dcd", dict(n_steps=1))),
    "add, scale σ² + antithetic":    ("output f/σ² (recovery likelihood's scaling)", dict(scale="sigma2"), ("dcd", dict(n_steps=1))),
    "concat + DSM":                  ("DSM on the plain build", dict(layout="concat", scale="none"), ("dsm", {})),
    "add + DSM":                     ("DSM on the default build", dict(), ("dsm", {})),
}
METHODS = {"DCD": ("dcd", {}), "DSM": ("dsm", {}), "CD-20": ("cd", dict(n_steps=20))}

def loss_fn(kind, kw, lad):
    if kind == "dcd": return functools.partial(multilevel_dcd_loss, ladder=lad, parts=True, **kw)
    if kind == "dsm": return functools.partial(multilevel_dsm_loss, ladder=lad)
    return functools.partial(multilevel_cd, lad=lad, **kw)

def true_energy(x, t):
    "The exact energy of 8 Gaussians diffused to noise level t (up to a constant)."
    C, s = eight_gaussians_modes(); v = s**2 + float(t)**2
    return -torch.logsumexp(-(x[:, None] - C[None]).pow(2).sum(-1) / (2 * v), 1)

def score_errors(E, lad, seed):
    "Relative score error E|s_θ - s|² / E|s|² at each modelled level, on 4,000 diffused data points."
    x = sample_2d("8gaussians", 4000, seed=seed + 7)
    out = []
    for l in range(len(lad)):
        xl, t = lad.marginals[l].sample(x), lad.times[l]
        st, sm = score(lambda z: true_energy(z, t), xl), score(lambda z: E(z, t), xl)
        out.append(((sm - st).pow(2).sum(1).mean() / st.pow(2).sum(1).mean()).item())
    return out

def run(energy_kw, loss, budget, seed):
    lad = ladder(); set_seed(seed)
    E = TimeMLPEnergy(2, **energy_kw)
    stream = lambda n, g: sample_2d("8gaussians", n, seed=int(torch.randint(0, 2**62, (), generator=g)))
    t0 = time.process_time()
    h = fit(E, loss_fn(*loss, lad), stream, steps=10**8, seed=seed, progress=False, time_limit=budget, **TRAIN)
    train_s = time.process_time() - t0
    Ee = h.ema.eval().requires_grad_(False)
    set_seed(seed + 1); t1 = time.perf_counter()
    xs, nfe = recovery_sample(Ee, lad, N_SAMPLES, (2,), n_steps=SAMPLE_STEPS)
    cov, shares = mode_coverage(xs, *eight_gaussians_modes())
    return dict(train_s=round(train_s, 1), steps=len(h["loss"]), load_avg_1min=round(os.getloadavg()[0], 2), sample_s=round(time.perf_counter() - t1, 1), nfe=nfe,
                within_2std=round(cov, 4), max_share_dev=round((shares - 1 / 8).abs().max().item(), 4),
                shares=[round(v, 4) for v in shares.tolist()], score_err=[round(v, 4) for v in score_errors(Ee, lad, seed)],
                diverged=h["diverged"], samples=np.round(xs[:KEEP].numpy(), 3).tolist())

def table(rows, keys):
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for r in rows: lines.append("| " + " | ".join(str(r.get(k, "")) for k in keys) + " |")
    return "\n".join(lines)

def seeds_summary(ms):
    "budget -> method -> within-2-std cell, and the paired difference DCD − method with its verdict (higher is better)."
    import seeds as S
    out = {}
    for b in ms["budgets"]:
        val = {m: {r["seed"]: r["within_2std"] for r in ms["rows"] if r["method"] == m and r["budget"] == b} for m in METHODS}
        dev = {m: [r["max_share_dev"] for r in ms["rows"] if r["method"] == m and r["budget"] == b] for m in METHODS}
        out[b] = {m: dict(cell=S.cell(list(val[m].values())), max_share_dev=S.cell(dev[m]),
                          steps=S.cell([r["steps"] for r in ms["rows"] if r["method"] == m and r["budget"] == b]),
                          diff=None if m == "DCD" else S.paired(val["DCD"], val[m])) for m in METHODS}
        for m in METHODS:
            if m != "DCD": out[b][m]["verdict"] = S.verdict(out[b][m]["diff"], better="higher")
    return out

def seeds_table(ms):
    "Markdown: share within 2 std and max share deviation, mean ± s.e. (n seeds), and DCD − method paired over seeds."
    import seeds as S
    sm, L = seeds_summary(ms), ["| method | budget (CPU s) | steps | within 2 std | max share dev | DCD − method (within 2 std) | verdict |", "|---|---|---|---|---|---|---|"]
    for b, by in sm.items():
        for m, c in by.items():
            L.append(f"| {m} | {b:g} | {c['steps']['mean']:.0f} | {S.fmt(c['cell'])} | {S.fmt(c['max_share_dev'])} | "
                     f"{'—' if c['diff'] is None else S.fmt(c['diff'])} | {c.get('verdict', '—')} |")
    return "\n".join(L)

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--budgets", type=float, nargs="+", default=[60., 120.], help="training seconds per method (methods part)")
    p.add_argument("--ablation-budget", type=float, default=60., help="training seconds per ablation row")
    p.add_argument("--only", choices=("ablation", "methods", "seeds"), default=None, help="seeds: the methods on every seed of --seeds")
    p.add_argument("--seed", type=int, default=0); p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--out", default=OUT)
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    use_cpu_clock()   # budgets in CPU seconds (see the protocol)
    res = dict(protocol=dict(dataset="8gaussians", ladder=LADDER, train=TRAIN, n_samples=N_SAMPLES, sampler=f"recovery, MALA {SAMPLE_STEPS} steps per level",
                             seed=a.seed, data_within_2std=1 - math.exp(-2), budget_clock="process CPU seconds, one thread"),
               machine=machine_info(), command="python benchmarks/bench_generate.py " + " ".join(sys.argv[1:] if argv is None else argv))
    print(f"machine: {res['machine']['cpu']}, {res['machine']['cores']} cores, torch {torch.__version__} ({torch.get_num_threads()} thread), seed {a.seed}")
    if a.only in (None, "ablation"):
        res["ablation"] = {}
        for name, (what, ekw, loss) in VARIANTS.items():
            r = run(ekw, loss, a.ablation_budget, a.seed); r.update(what=what, budget=a.ablation_budget)
            res["ablation"][name] = r; print(f"  {name}: {r['within_2std']:.3f} within 2 std, {r['steps']} steps", flush=True)
        print(f"\nAblation, {a.ablation_budget:g} s of training each:\n")
        print(table([dict(variant=k, changes=v["what"], steps=v["steps"], **{"within 2 std": f"{v['within_2std']:.3f}",
                          "max share dev": f"{v['max_share_dev']:.3f}", "score err (σ=0.05)": f"{v['score_err'][0]:.3f}"})
                     for k, v in res["ablation"].items()], ["variant", "changes", "steps", "within 2 std", "max share dev", "score err (σ=0.05)"]))
    if a.only in (None, "methods"):
        res["methods"] = {}
        for b in a.budgets:
            for m, loss in METHODS.items():
                r = run({}, loss, b, a.seed); r["budget"] = b
                res["methods"][f"{m} @ {b:g} s"] = r; print(f"  {m} @ {b:g} s: {r['within_2std']:.3f} within 2 std, {r['steps']} steps", flush=True)
        print("\nMethods at equal training time (the default TimeMLPEnergy):\n")
        print(table([dict(method=k, steps=v["steps"], **{"within 2 std": f"{v['within_2std']:.3f}", "max share dev": f"{v['max_share_dev']:.3f}",
                          "sampling s": v["sample_s"]}) for k, v in res["methods"].items()], ["method", "steps", "within 2 std", "max share dev", "sampling s"]))
    if a.only == "seeds":   # per-seed rows under their own key; paired differences DCD - X over the shared seeds
        t0, c0, rows = time.time(), time.process_time(), []
        for seed in a.seeds:
            for b in a.budgets:
                for m, loss in METHODS.items():
                    r = run({}, loss, b, seed); r.pop("samples")
                    rows.append(dict(r, method=m, budget=b, seed=seed)); print(f"  seed {seed} {m} @ {b:g} s: {r['within_2std']:.3f} within 2 std, {r['steps']} steps", flush=True)
        res = dict(methods_seeds=dict(rows=rows, seeds=a.seeds, budgets=a.budgets, wall_sec=round(time.time() - t0, 1),
                                      cpu_sec=round(time.process_time() - c0, 1), command=res["command"], machine=res["machine"]))
        print("\n" + seeds_table(res["methods_seeds"]))
    if os.path.exists(a.out) and a.only is not None:   # keep the other part of an earlier run
        old = json.load(open(a.out)); res = {**old, **{k: v for k, v in res.items() if v}}
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out + ".tmp", "w") as f: json.dump(res, f, indent=1)
    os.replace(a.out + ".tmp", a.out); print(f"\nwrote {a.out}")

if __name__ == "__main__": main()
