#!/usr/bin/env python
"""Benchmark every training method of dcd_nb on the eight 2D toy sets, at equal optimiser steps and at equal wall-clock.

    .venv/bin/python benchmarks/bench2d.py [--quick] [--datasets ...] [--methods ...] [--seeds ...] [--steps N]
                                           [--out benchmarks/results/bench2d.json]

Protocol (09_bench2d explains it): a fair tuning step (the same 3-point grid and the same short budget for every method's main
knob, on one dataset and a validation set), then for each dataset and seed every method trains with `fit` until it has done at
least `steps` optimiser steps AND spent at least CD-10's training time for `steps` steps (the equal wall-clock budget T).
The EMA model is scored periodically on a held-out set (grid-normalised NLL, KL where the density is known); MMD² at step
`steps`. Uses only dcd_nb's public functions. Writes a small JSON (no weights), a density-grid PNG and prints markdown tables.
"""
import argparse, contextlib, io, json, math, os, tempfile, time, warnings
import numpy as np
import torch
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from dcd_nb.core import set_seed, machine_info  # machine_info: also imported from here by the other benchmarks
from dcd_nb.energy import MLPEnergy
from dcd_nb.train import fit, make_loss
from dcd_nb.dcd import RECOMMENDED
from dcd_nb.toy import (DATASETS, KNOWN_DENSITIES, sample_2d, nll_2d, kl_2d, mmd2, model_samples, true_entropy_2d,
                        grid_log_density, EVAL_LIM, EVAL_GRID, EVAL_SAMPLES, MMD_SAMPLES, MMD_MALA_STEPS, MMD_BANDWIDTH)

# ---------------------------------------------------------------------------------------------------------------- methods
# study name -> (make_loss method, fixed settings, tuning group). The tuning group's knob and value are added after tuning.
METHODS = {
    "cd-1":            ("cd",  dict(k=1),  "cd"),
    "cd-5":            ("cd",  dict(k=5),  "cd"),
    "cd-10":           ("cd",  dict(k=10), "cd"),
    "cd-20":           ("cd",  dict(k=20), "cd"),
    "pcd-10":          ("pcd", dict(k=10), "pcd"),
    "dcd-importance":  ("dcd", dict(estimator="importance", n_particles=16), "dcd-importance"),
    "dcd-importance-m4": ("dcd", dict(estimator="importance", n_particles=4), "dcd-importance"),
    "dcd-laplace":     ("dcd", dict(estimator="laplace"), "dcd-laplace"),
    "dcd-mala":        ("dcd", dict(estimator="mala", n_steps=5), "dcd-mala"),
    "dcd-langevin":    ("dcd", dict(estimator="langevin", n_steps=5), "dcd-langevin"),
    "dsm":             ("dsm", {}, "dsm"),
}
# tuning group -> (make_loss method, fixed settings, knob, 3-point grid; the middle value is the untuned default).
# Every group gets the same budget: 3 runs of `tune_steps` steps.
TUNING = {
    "cd":             ("cd",  dict(k=10), "step_size", [0.003, 0.01, 0.03]),
    "pcd":            ("pcd", dict(k=10), "step_size", [0.003, 0.01, 0.03]),
    "dcd-importance": ("dcd", dict(estimator="importance", n_particles=16), "sigma", [0.5, 1.0, 2.0]),
    "dcd-laplace":    ("dcd", dict(estimator="laplace"), "sigma", [0.05, 0.1, 0.2]),
    "dcd-mala":       ("dcd", dict(estimator="mala", n_steps=5), "sigma", [0.1, 0.3, 0.6]),
    "dcd-langevin":   ("dcd", dict(estimator="langevin", n_steps=5), "sigma", [0.1, 0.3, 0.6]),
    "dsm":            ("dsm", {}, "sigma", [0.05, 0.1, 0.3]),
}
CD_K = ("cd-1", "cd-5", "cd-10", "cd-20")
REF = "cd-10"          # its training time for `steps` steps is the equal wall-clock budget T
SLOW_REF = "cd-20"     # "time to reach CD-20's final NLL"
QUICK = dict(datasets=["8gaussians", "checkerboard"], methods=["cd-1", "cd-10", "cd-20", "dcd-importance", "dcd-laplace", "dsm"],
             seeds=[0], steps=300, n_held=5000, tune_steps=150, tune_datasets=["8gaussians"], tune_groups=["cd", "dcd-importance"], mmd_n=500)
FULL = dict(datasets=list(DATASETS), methods=list(METHODS), seeds=[0, 1], steps=800, n_held=EVAL_SAMPLES, tune_steps=400,
            tune_datasets=["8gaussians", "rings"], tune_groups=list(TUNING), mmd_n=MMD_SAMPLES)  # the 2D protocol of dcd_nb.toy (as dcd_train toy2d)
SETTINGS = dict(network="MLPEnergy(2, hidden=128, depth=3)", lr=1e-3, batch_size=256, ema=0.99, optimizer="adam",
                grid_n=EVAL_GRID, lim=EVAL_LIM, n_train=50000, mmd_bandwidth=MMD_BANDWIDTH, mmd_mala_steps=MMD_MALA_STEPS, mmd_mala_step=0.01,
                tune_seed=100, n_val=5000, density_grid_n=80)


def is_dcd(m): return m.startswith("dcd")


# ---------------------------------------------------------------------------------------------------------------- one run
def interp_at(curve, t):
    "NLL of a curve [(step, sec, nll, ...)] at training time t, linear in time; the last value if the run ended before t."
    ts, ys = [c[1] for c in curve], [c[2] for c in curve]
    return float(np.interp(t, ts, ys))

def bench_interp(r, T, col):
    "Column `col` of a run's curve, linear in training time, at T (the last value past the end)."
    return float(np.interp(T, [c[1] for c in r["curve"]], [c[col] for c in r["curve"]]))

def time_to_reach(curve, target):
    "First training time at which the curve's NLL is <= target (linear between evaluations); None if never."
    for (s0, t0, y0, *_), (s1, t1, y1, *_) in zip(curve[:1] + curve[:-1], curve):
        if y1 <= target:
            return float(t1 if y1 == y0 or t1 == t0 else t0 + (y0 - target) / (y0 - y1) * (t1 - t0))
    return None

def run_one(name, kw, dataset, seed, steps, T, data, held, cfg, ckdir, want_density=False, eval_every=None, want_mmd=True):
    "Train one method on one dataset with chunked `fit` calls (exactly resumable), scoring the EMA model between chunks."
    method, fixed, _ = METHODS[name] if name in METHODS else (name, {}, None)
    loss = make_loss(method, **dict(fixed, **kw))
    set_seed(seed); E = MLPEnergy(2, 128, 3)
    ck = os.path.join(ckdir, f"{dataset}-{name}-{seed}.pt")
    if os.path.exists(ck): os.remove(ck)
    known = dataset in KNOWN_DENSITIES
    def score(model):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # held-out points outside the box are clamped (counted in the JSON)
            nll = nll_2d(model, held, lim=cfg["lim"], n=cfg["grid_n"])
            kl = kl_2d(model, dataset, lim=cfg["lim"], n=cfg["grid_n"]) if known else None
        return nll, kl
    set_seed(seed); E0 = MLPEnergy(2, 128, 3)
    curve = [(0, 0.0, *score(E0))]
    ev = eval_every or max(steps // 8, 1)
    out = dict(dataset=dataset, method=name, seed=seed, loss=method, kw=dict(loss.kw), passes=loss.passes, diverged=None)
    step, hist = 0, None
    while True:
        nxt = step + (ev if step < steps else 2 * ev)
        if step < steps: nxt = min(nxt, steps)
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):   # fit's "resuming from <checkpoint>" lines
            warnings.simplefilter("ignore")
            hist = fit(E, loss, data, steps=nxt, lr=cfg["lr"], batch_size=cfg["batch_size"], seed=seed, ema=cfg["ema"],
                       ckpt_path=ck, progress=False)
        step = len(hist["sec"]); t_train = float(sum(hist["sec"]))
        model = hist.ema.eval()
        curve.append((step, t_train, *score(model)))
        if step == steps and want_mmd:
            x, acc = model_samples(model, cfg["mmd_n"], n_steps=cfg["mmd_mala_steps"], step_size=cfg["mmd_mala_step"], seed=seed)
            out.update(mmd2=mmd2(x, held[:cfg["mmd_n"]], bandwidth=cfg["mmd_bandwidth"]), mala_accept=acc)
        if step == steps and want_density: out["_density"] = grid_log_density(model, cfg["lim"], cfg["density_grid_n"]).exp().float().numpy()
        if hist["diverged"] is not None:
            out["diverged"] = hist["diverged"]; break
        if step >= steps and (T is None or t_train >= T): break
    if os.path.exists(ck): os.remove(ck)
    sec = np.array(hist["sec"])
    s_idx = [c[0] for c in curve].index(steps) if steps in [c[0] for c in curve] else len(curve) - 1
    out.update(curve=[[c[0], round(c[1], 4), round(c[2], 5), None if c[3] is None else round(c[3], 5)] for c in curve],
               steps_done=int(step), train_sec=t_train, sec_per_step=float(np.median(sec)), mean_sec_per_step=float(sec.mean()),
               nll_steps=curve[s_idx][2], kl_steps=curve[s_idx][3], sec_at_steps=curve[s_idx][1])
    if T is not None:
        out["nll_T"] = interp_at(curve, T)
        out["steps_at_T"] = int(np.interp(T, [c[1] for c in curve], [c[0] for c in curve]))
        if known: out["kl_T"] = float(np.interp(T, [c[1] for c in curve], [c[3] for c in curve]))
    return out


# ---------------------------------------------------------------------------------------------------------------- tuning
def tune(cfg, groups, steps, ckdir, log):
    "Same budget for every method: its main knob on a 3-point grid, `steps` steps on each tuning set, pick by mean validation NLL."
    seed, res, chosen = cfg["tune_seed"], {}, {}
    sets = {ds: (sample_2d(ds, cfg["n_train"], seed=seed), sample_2d(ds, cfg["n_val"], seed=seed + 1)) for ds in cfg["tune_datasets"]}
    for g in TUNING:
        method, fixed, knob, grid = TUNING[g]
        if g not in groups:
            chosen[g] = dict(knob=knob, value=grid[1], tuned=False); continue  # untuned: the middle of the grid
        rows = []
        for v in grid:
            t0, per = time.perf_counter(), {}
            for ds, (data, val) in sets.items():
                r = run_one(method, dict(fixed, **{knob: v}), ds, seed, steps, None, data, val, cfg, ckdir,
                            eval_every=steps, want_mmd=False)
                per[ds] = r["nll_steps"] if r["diverged"] is None else math.inf
            nll = float(np.mean(list(per.values())))
            rows.append(dict(value=v, nll=nll, per_dataset=per, diverged=not math.isfinite(nll)))
            log(f"tune {g:15s} {knob}={v:<6g} val NLL " + " ".join(f"{d} {x:8.4f}" for d, x in per.items()) + f"  {time.perf_counter() - t0:5.1f}s")
        best = min(rows, key=lambda r: r["nll"])
        res[g], chosen[g] = rows, dict(knob=knob, value=best["value"], tuned=True)
    return res, chosen


# ---------------------------------------------------------------------------------------------------------------- tables
def _ms(vals, fmt="{:.3f}"):
    vals = [v for v in vals if v is not None]
    if not vals: return "—"
    if any(not math.isfinite(v) for v in vals): return "∞"
    return fmt.format(np.mean(vals)) + ("" if len(vals) < 2 else " ± " + fmt.format(np.std(vals, ddof=1)))

def aggregate(runs):
    "dataset -> method -> list of runs (over seeds)."
    agg = {}
    for r in runs: agg.setdefault(r["dataset"], {}).setdefault(r["method"], []).append(r)
    return agg

def mean_of(rs, key):
    v = [r.get(key) for r in rs]
    return None if any(x is None for x in v) or not v else float(np.mean(v))

def summarize(res):
    "Per (dataset, method) means, and the four targets with PASS/FAIL and numbers."
    agg, S = aggregate(res["runs"]), res["config"]["steps"]
    summ = {}
    for ds, by in agg.items():
        for m, rs in by.items():
            ref20 = by.get(SLOW_REF)
            reach = None
            if ref20 is not None:  # per seed: time to reach the same seed's CD-20 NLL at `steps`, over CD-20's time
                ratios = []
                for r in rs:
                    r20 = next((q for q in ref20 if q["seed"] == r["seed"]), None)
                    if r20 is None or r20["diverged"] is not None: ratios = None; break  # no final NLL to reach
                    t = time_to_reach(r["curve"], r20["nll_steps"] + 1e-5)  # + the rounding of the stored curve
                    ratios.append(math.inf if t is None else t / r20["sec_at_steps"])
                reach = None if ratios is None else float(np.mean(ratios))
            summ[(ds, m)] = dict(nll_steps=mean_of(rs, "nll_steps"), nll_T=mean_of(rs, "nll_T"), kl_steps=mean_of(rs, "kl_steps"),
                                 kl_T=mean_of(rs, "kl_T"), mmd2=mean_of(rs, "mmd2"), sec_per_step=mean_of(rs, "sec_per_step"),
                                 reach_ratio=reach, n=len(rs))
    return agg, summ

def recommend(res, agg, summ):
    "The study's recommended DCD setting: the lowest mean rank among DCD settings of the NLL at equal wall-clock over datasets."
    dcds = [m for m in res["config"]["methods"] if is_dcd(m)]
    if not dcds: return None
    dsets = [d for d in res["config"]["datasets"] if d in agg]
    ranks = {m: np.mean([sorted(dcds, key=lambda q: summ[(d, q)]["nll_T"]).index(m) for d in dsets]) for m in dcds}
    return min(dcds, key=lambda m: ranks[m])

def targets(res, agg, summ):
    dsets = [d for d in res["config"]["datasets"] if d in agg]
    dcds = [m for m in res["config"]["methods"] if is_dcd(m)]
    cdk = [m for m in res["config"]["methods"] if m in CD_K]
    out = []
    # 1. cost per step relative to CD-10 (seconds from fit's history, medians, averaged over datasets and seeds)
    if REF in res["config"]["methods"]:
        ref = np.mean([summ[(d, REF)]["sec_per_step"] for d in dsets])
        refp = agg[dsets[0]][REF][0]["passes"]
        cost = {}
        for m in dcds:
            s = np.mean([summ[(d, m)]["sec_per_step"] for d in dsets]); p = agg[dsets[0]][m][0]["passes"]
            cost[m] = dict(ratio=float(s / ref), rows_ratio=(p["forward"] + p["input_grad"]) / (refp["forward"] + refp["input_grad"]),
                           ms=1e3 * float(s))
        rec = res.get("recommended")
        ok = [m for m, c in cost.items() if c["ratio"] <= 0.35]
        out.append(dict(target="DCD cost/step ≤ 0.35× CD-10's (same batch, this CPU)", ref_ms=1e3 * float(ref), per_method=cost,
                        met_by=ok, recommended=rec, status="PASS" if rec in ok else "FAIL",
                        note=f"recommended setting {rec}: {cost[rec]['ratio']:.2f}× CD-10" if rec in cost else ""))
    # 2. best DCD ≤ best CD-K at equal wall-clock, every dataset
    if dcds and cdk:
        per = {}
        for d in dsets:
            bd = min(dcds, key=lambda m: summ[(d, m)]["nll_T"]); bc = min(cdk, key=lambda m: summ[(d, m)]["nll_T"])
            per[d] = dict(best_dcd=bd, nll_dcd=summ[(d, bd)]["nll_T"], best_cd=bc, nll_cd=summ[(d, bc)]["nll_T"],
                          ok=summ[(d, bd)]["nll_T"] <= summ[(d, bc)]["nll_T"])
        n_ok = sum(v["ok"] for v in per.values())
        out.append(dict(target="best DCD NLL ≤ best CD-K NLL at equal wall-clock, every dataset", per_dataset=per,
                        status="PASS" if n_ok == len(per) else "FAIL", note=f"{n_ok}/{len(per)} datasets"))
        # 3. within 0.05 nats of the true entropy on 8gaussians and checkerboard
        per3 = {}
        for d in [d for d in KNOWN_DENSITIES if d in dsets]:
            bd = per[d]["best_dcd"]; H = true_entropy_2d(d)
            per3[d] = dict(best_dcd=bd, nll_T=per[d]["nll_dcd"], nll_steps=summ[(d, bd)]["nll_steps"], entropy=H,
                           excess_T=per[d]["nll_dcd"] - H, ok=per[d]["nll_dcd"] - H <= 0.05)
        if per3:
            out.append(dict(target="best DCD NLL (equal wall-clock) within 0.05 nats of the true entropy (8gaussians, checkerboard)",
                            per_dataset=per3, status="PASS" if all(v["ok"] for v in per3.values()) else "FAIL",
                            note=", ".join(f"{d}: +{v['excess_T']:.3f}" for d, v in per3.items())))
    # 4. DCD reaches CD-20's final NLL in ≤ 1/5 of CD-20's wall-clock on ≥ 6 of 8 datasets
    if dcds and SLOW_REF in res["config"]["methods"]:
        per4 = {}
        for d in dsets:
            if summ[(d, SLOW_REF)]["reach_ratio"] is None:  # CD-20 diverged on this dataset (some seed): nothing to reach
                per4[d] = dict(best_dcd="—", ratio=None, ok=False); continue
            bd = min(dcds, key=lambda m: summ[(d, m)]["reach_ratio"])
            per4[d] = dict(best_dcd=bd, ratio=summ[(d, bd)]["reach_ratio"], ok=summ[(d, bd)]["reach_ratio"] <= 0.2)
        n_ok = sum(v["ok"] for v in per4.values()); need = math.ceil(0.75 * len(per4))
        n_na = sum(v["ratio"] is None for v in per4.values())
        out.append(dict(target=f"DCD reaches CD-20's NLL at {res['config']['steps']} steps in ≤ 1/5 of CD-20's time on ≥ 6/8 datasets",
                        per_dataset=per4, status="PASS" if n_ok >= need else "FAIL",
                        note=f"{n_ok}/{len(per4)} datasets (need {need})" + (f"; CD-20 diverged on {n_na}, not counted as met" if n_na else "")))
    return out

def tables(res):
    "All markdown tables as one string."
    agg, summ = summarize(res)
    c, mi = res["config"], res["machine"]
    dsets = [d for d in c["datasets"] if d in agg]; meths = [m for m in c["methods"] if any(m in agg[d] for d in dsets)]
    L = [f"**Machine**: {mi['cpu']}, {mi['cores']} cores, torch threads {mi['torch_threads']} (OMP_NUM_THREADS={mi['omp_num_threads']}); "
         f"python {mi['python']}, torch {mi['torch']}, numpy {mi['numpy']}, dcd_nb {mi['dcd_nb']}  ",
         f"**Seeds** {c['seeds']}" + ("" if "seeds_per_dataset" not in res or all(len(v) == len(c["seeds"]) for v in res["seeds_per_dataset"].values())
                                     else " (per dataset: " + ", ".join(f"{d} {v}" for d, v in res["seeds_per_dataset"].items() if v) + ")") + f"; **steps** {c['steps']}; {c['network']}; Adam lr {c['lr']}, batch {c['batch_size']}, EMA {c['ema']} "
         f"(scored); NLL on {c['n_held']} held-out points, grid {c['grid_n']}² on [-{c['lim']}, {c['lim']}]²; MMD² with "
         f"{c['mmd_n']} MALA samples ({c['mmd_mala_steps']} steps of {c['mmd_mala_step']} from uniform noise), RBF h={c['mmd_bandwidth']}.  ",
         f"**Equal wall-clock budget** T = CD-10's training time for {c['steps']} steps on the same dataset and seed; every method "
         f"trains ≥ {c['steps']} steps and ≥ T seconds.  ",
         "**Settings** (after tuning): " + "; ".join(f"{m}: " + ", ".join(f"{k}={v}" for k, v in agg[dsets[0]][m][0]["kw"].items()
                                                                           if v is not None) for m in meths), ""]
    def grid_table(title, key, fmt="{:.3f}", ds=dsets):
        L.append(f"\n**{title}** (mean ± sd over seeds; †: a seed diverged and `fit`'s guard stopped it, its last score is used)\n")
        L.append("| method | " + " | ".join(ds) + " |"); L.append("|---" * (len(ds) + 1) + "|")
        for m in meths:
            L.append(f"| {m} | " + " | ".join(_ms([r.get(key) for r in agg[d].get(m, [])], fmt)
                                              + ("†" if any(r["diverged"] for r in agg[d].get(m, [])) else "") for d in ds) + " |")
    grid_table(f"Held-out NLL (nats) at equal steps ({c['steps']})", "nll_steps")
    grid_table("Held-out NLL (nats) at equal wall-clock T", "nll_T")
    kds = [d for d in KNOWN_DENSITIES if d in dsets]
    if kds:
        L.append("\nTrue entropy (NLL floor): " + ", ".join(f"{d} {true_entropy_2d(d):.4f}" for d in kds))
        grid_table(f"KL(p_data ‖ p_θ) (nats, grid) at equal steps", "kl_steps", ds=kds)
        grid_table(f"KL(p_data ‖ p_θ) (nats, grid) at equal wall-clock", "kl_T", ds=kds)
    grid_table(f"MMD² (×1e3) at equal steps; —: the run diverged before step {c['steps']}", "mmd2_milli", "{:.2f}")
    L.append("\n**Cost** (passes per data point and step from `make_loss(...).passes`; seconds from `fit`'s history, median over "
             "steps, mean over datasets and seeds)\n")
    L.append("| method | forward rows | input-grad passes | ms/step | × CD-10 | steps at T (mean) | diverged runs |")
    L.append("|---|---|---|---|---|---|---|")
    ref = np.mean([summ[(d, REF)]["sec_per_step"] for d in dsets]) if REF in meths else None
    for m in meths:
        rs = [r for d in dsets for r in agg[d].get(m, [])]; p = rs[0]["passes"]; s = np.mean([r["sec_per_step"] for r in rs])
        L.append(f"| {m} | {p['forward']} | {p['input_grad']} | {1e3 * s:.2f} | {'—' if ref is None else f'{s / ref:.2f}'} | "
                 f"{np.mean([r.get('steps_at_T', r['steps_done']) for r in rs]):.0f} | {sum(r['diverged'] is not None for r in rs)} |")
    if SLOW_REF in meths:
        L.append(f"\n**Time to reach CD-20's NLL at {c['steps']} steps**, as a fraction of CD-20's time (mean over seeds; ∞: not reached)\n")
        L.append("| method | " + " | ".join(dsets) + " |"); L.append("|---" * (len(dsets) + 1) + "|")
        for m in meths:
            L.append(f"| {m} | " + " | ".join("—" if (d, m) not in summ else "n/a (CD-20 diverged)" if summ[(d, m)]["reach_ratio"] is None
                                              else ("∞" if not math.isfinite(summ[(d, m)]["reach_ratio"]) else f"{summ[(d, m)]['reach_ratio']:.2f}")
                                              for d in dsets) + " |")
    L.append("\n**Targets**\n"); L.append("| target | status | numbers |"); L.append("|---|---|---|")
    for t in res.get("targets", []):
        if "per_method" in t: nums = f"CD-10 {t['ref_ms']:.2f} ms; " + ", ".join(f"{m} {v['ratio']:.2f}× (rows {v['rows_ratio']:.2f}×)" for m, v in t["per_method"].items())
        elif "ratio" in next(iter(t["per_dataset"].values())): nums = ", ".join(f"{d}: " + ("CD-20 diverged" if v["ratio"] is None else f"{v['best_dcd']} {v['ratio']:.2f}") for d, v in t["per_dataset"].items())
        elif "excess_T" in next(iter(t["per_dataset"].values())): nums = ", ".join(f"{d}: {v['best_dcd']} {v['nll_T']:.3f} vs H {v['entropy']:.3f} (+{v['excess_T']:.3f})" for d, v in t["per_dataset"].items())
        else: nums = ", ".join(f"{d}: {v['best_dcd']} {v['nll_dcd']:.3f} vs {v['best_cd']} {v['nll_cd']:.3f}" for d, v in t["per_dataset"].items())
        L.append(f"| {t['target']} | **{t['status']}** ({t['note']}) | {nums} |")
    return "\n".join(L)

def tuning_table(res):
    L = [f"**Tuning** ({res['config']['tune_steps']} steps on each of {', '.join(res['config']['tune_datasets'])}, seed "
         f"{res['config']['tune_seed']}, mean validation NLL on {res['config']['n_val']} points each (∞ if a run diverged); the same "
         "3-point grid per method)\n",
         "| group | knob | values → validation NLL | chosen |", "|---|---|---|---|"]
    for g, ch in res["chosen"].items():
        rows = res["tuning"].get(g)
        vals = "not tuned (default)" if rows is None else ", ".join(f"{r['value']:g} → " + ("∞" if r["diverged"] else f"{r['nll']:.3f}")
                                                                    + ("" if len(r["per_dataset"]) < 2 else " (" + ", ".join(
                                                                        "div." if not math.isfinite(x) else f"{x:.3f}" for x in r["per_dataset"].values()) + ")") for r in rows)
        L.append(f"| {g} | {ch['knob']} | {vals} | {ch['value']:g} |")
    return "\n".join(L)


# ---------------------------------------------------------------------------------------------------------------- figure
def density_figure(dens, dsets, meths, path, lim):
    "Rows: data then methods; columns: datasets. Grid-normalised model densities of seed 0's EMA model at `steps`."
    fig, axs = plt.subplots(len(meths) + 1, len(dsets), figsize=(1.05 * len(dsets), 1.05 * (len(meths) + 1)), dpi=80, squeeze=False)
    for j, d in enumerate(dsets):
        x = sample_2d(d, 20000, seed=12345).numpy()
        h, _, _ = np.histogram2d(x[:, 1], x[:, 0], bins=80, range=[[-lim, lim]] * 2)
        axs[0, j].imshow(h, origin="lower", extent=(-lim, lim, -lim, lim), cmap="viridis", interpolation="nearest")
        axs[0, j].set_title(d, fontsize=7)
        for i, m in enumerate(meths):
            img = dens.get((d, m))
            if img is not None: axs[i + 1, j].imshow(img, origin="lower", extent=(-lim, lim, -lim, lim), cmap="viridis", interpolation="nearest")
            else: axs[i + 1, j].text(0.5, 0.5, "diverged", ha="center", va="center", fontsize=6, transform=axs[i + 1, j].transAxes)
    for i, m in enumerate(["data"] + meths): axs[i, 0].set_ylabel(m, fontsize=6)
    for a in axs.flat: a.set(xticks=[], yticks=[])
    fig.subplots_adjust(wspace=0.03, hspace=0.03, left=0.1, right=0.99, top=0.97, bottom=0.01)
    fig.savefig(path, dpi=80); plt.close(fig)
    from PIL import Image  # a 256-colour palette keeps the PNG small (the panels are smooth colour-mapped images)
    Image.open(path).convert("RGB").quantize(256).save(path, optimize=True)


# ---------------------------------------------------------------------------------------------------------------- fair study
# The recommended DCD (dcd_nb.dcd.RECOMMENDED with make_loss's σ, fixed before the run, not tuned here) against CD-10 whose
# Langevin step size is tuned per dataset on a separate tuning seed (at the shortest budget, a 4-point grid); both train for a budget of CPU seconds (one
# thread) and are scored at every budget (the shorter budget is a snapshot of the same run, resumed exactly from a checkpoint);
# the evaluation seeds are shared by the two methods (initialisation, training data, minibatch order, held-out set) and are
# not the seeds (0, 1) of the best-of-variants sweep that chose the recommended DCD.
FAIR = dict(budgets=[5., 15.], seeds=[2, 3, 4], cd_k=10, cd_step_sizes=[0.001, 0.003, 0.01, 0.03], datasets=list(DATASETS),
            n_held=EVAL_SAMPLES, tune_seed=100, n_val=5000, tune_budget=5.)
FAIR_QUICK = dict(FAIR, budgets=[2., 4.], tune_budget=2., seeds=[0, 1], cd_step_sizes=[0.003, 0.01, 0.03], datasets=["8gaussians", "rings"], n_held=5000, n_val=2000)

def fair_losses(cfg):
    "name -> function of the CD step size giving the loss (DCD ignores it)."
    return {"dcd": lambda step=None: make_loss("dcd", **RECOMMENDED),
            f"cd-{cfg['cd_k']}": lambda step: make_loss("cd", k=cfg["cd_k"], step_size=step)}

def fair_run(loss, dataset, seed, budgets, data, held, cfg, ckdir):
    "Train from seed `seed` for max(budgets) CPU seconds, scoring the EMA model at every budget; rows, one per budget."
    from dcd_nb.denoise import train_checkpoints  # exact resumption between budgets
    set_seed(seed); E = MLPEnergy(2, 128, 3)
    ck = os.path.join(ckdir, "fair.pt")
    if os.path.exists(ck): os.remove(ck)
    rows, t0, c0, h = [], time.perf_counter(), time.process_time(), None
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):   # fit's "resuming from <checkpoint>" lines
        warnings.simplefilter("ignore")
        for t, h in train_checkpoints(E, loss, data, sorted(budgets), ck, lr=cfg["lr"], batch_size=cfg["batch_size"], seed=seed,
                                      ema=cfg["ema"], progress=False):
            model = h.ema.eval()
            nll = nll_2d(model, held, lim=cfg["lim"], n=cfg["grid_n"])
            kl = kl_2d(model, dataset, lim=cfg["lim"], n=cfg["grid_n"]) if dataset in KNOWN_DENSITIES else None
            rows.append(dict(budget=t, nll=float(nll), kl=None if kl is None else float(kl), steps=len(h["loss"]),
                             train_sec=float(sum(h["sec"])), diverged=h["diverged"]))
    for t in sorted(budgets)[len(rows):]:  # diverged before t: the guard's rolled-back model stands for the later budgets
        rows.append(dict(rows[-1], budget=t))
    if os.path.exists(ck): os.remove(ck)
    sps = float(np.median(h["sec"]))
    for r in rows: r.update(sec_per_step=sps, run_wall_sec=time.perf_counter() - t0, run_cpu_sec=time.process_time() - c0, load_avg_1min=os.getloadavg()[0])
    return rows

def fair_tune(cfg, ckdir, log):
    "CD's step size per dataset: each value trained on the tuning seed for the shortest budget, picked by validation NLL (a diverged run only if all did)."
    seed, losses, out = cfg["tune_seed"], fair_losses(cfg), {}
    cd = f"cd-{cfg['cd_k']}"
    for ds in cfg["datasets"]:
        data, val = sample_2d(ds, cfg["n_train"], seed=seed), sample_2d(ds, cfg["n_val"], seed=seed + 1)
        rows = []
        for v in cfg["cd_step_sizes"]:
            for r in fair_run(losses[cd](v), ds, seed, [cfg["tune_budget"]], data, val, cfg, ckdir): rows.append(dict(r, step_size=v))
            log(f"tune {ds:12s} {cd} step {v:<6g} val NLL " + " ".join(f"{r['budget']:g}s {r['nll']:.4f}{'†' if r['diverged'] else ''}"
                                                                         for r in rows if r["step_size"] == v))
        best = min(rows, key=lambda r: (r["diverged"] is not None, r["nll"]))["step_size"]
        pick = {str(b): best for b in cfg["budgets"]}   # the step picked at the tuning budget serves every budget
        out[ds] = dict(rows=rows, chosen=pick)
    return out

def fair_main(a, quick):
    "The fair study: tuning, then every dataset and seed; writes the JSON after every run."
    from cpu_clock import cpu_clock
    with cpu_clock(): return _fair_main(a, quick)   # in-process callers (the notebook) get fit's own clock back

def _fair_main(a, quick):
    cfg = dict(SETTINGS, **(FAIR_QUICK if quick else FAIR))
    cfg.update(dcd=dict(make_loss("dcd", **RECOMMENDED).kw), recommended=dict(RECOMMENDED))
    for k in ("datasets", "seeds", "budgets"):
        if getattr(a, k, None) is not None: cfg[k] = getattr(a, k)
    cfg["tune_budget"] = min(cfg["budgets"])
    t_start, c_start = time.perf_counter(), time.process_time()
    log = lambda s: print(f"[{time.perf_counter() - t_start:7.1f}s wall {time.process_time() - c_start:7.1f}s cpu] {s}", flush=True)
    res = dict(config=cfg, machine=machine_info(), quick=quick, runs=[], started=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
               clock="CPU seconds of this process, one thread", command="python benchmarks/bench2d.py --fair" + (" --quick" if quick else ""))
    losses, cd = fair_losses(cfg), f"cd-{cfg['cd_k']}"
    with tempfile.TemporaryDirectory() as ckdir:
        res["tuning"] = fair_tune(cfg, ckdir, log)
        res["tune_wall_sec"], res["tune_cpu_sec"] = time.perf_counter() - t_start, time.process_time() - c_start
        save_json(res, a.out)
        for seed in cfg["seeds"]:
            for ds in cfg["datasets"]:
                data, held = sample_2d(ds, cfg["n_train"], seed=1000 + seed), sample_2d(ds, cfg["n_held"], seed=999)
                for r in fair_run(losses["dcd"](), ds, seed, cfg["budgets"], data, held, cfg, ckdir):
                    res["runs"].append(dict(r, dataset=ds, seed=seed, method="dcd", step_size=None))
                chosen = res["tuning"][ds]["chosen"]
                for v in sorted(set(chosen.values())):  # one run per chosen step size, up to the largest budget it was chosen for
                    bs = [b for b in cfg["budgets"] if chosen[str(b)] == v]
                    for r in fair_run(losses[cd](v), ds, seed, [b for b in cfg["budgets"] if b <= max(bs)], data, held, cfg, ckdir):
                        if r["budget"] in bs: res["runs"].append(dict(r, dataset=ds, seed=seed, method=cd, step_size=v))
                log(f"seed {seed} {ds:12s} " + "  ".join(f"{r['method']}@{r['budget']:g}s {r['nll']:.4f}{'†' if r['diverged'] else ''} ({r['steps']} steps)"
                                                          for r in res["runs"] if r["dataset"] == ds and r["seed"] == seed))
                save_json(res, a.out)
    res["wall_sec"], res["cpu_sec"] = time.perf_counter() - t_start, time.process_time() - c_start
    res["finished"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    save_json(res, a.out)
    print("\n" + fair_tables(res))
    return res

def fair_retune(a):
    "CD-10 re-tuned at the longest budget on the sets where its chosen step diverged there, then rerun on the evaluation seeds; adds res['retune']."
    from cpu_clock import cpu_clock
    with cpu_clock():
        res = json.load(open(a.out)); cfg = res["config"]; b = max(cfg["budgets"]); cd = f"cd-{cfg['cd_k']}"
        t0, c0 = time.perf_counter(), time.process_time()
        bad = sorted({r["dataset"] for r in res["runs"] if r["method"] == cd and r["budget"] == b and r["diverged"] is not None}, key=cfg["datasets"].index)
        out, losses = {}, fair_losses(cfg)
        with tempfile.TemporaryDirectory() as ckdir:
            for ds in bad:
                data, val = sample_2d(ds, cfg["n_train"], seed=cfg["tune_seed"]), sample_2d(ds, cfg["n_val"], seed=cfg["tune_seed"] + 1)
                rows = [dict(r, step_size=v) for v in cfg["cd_step_sizes"] for r in fair_run(losses[cd](v), ds, cfg["tune_seed"], [b], data, val, cfg, ckdir)]
                v = min(rows, key=lambda r: (r["diverged"] is not None, r["nll"]))["step_size"]
                print(f"retune {ds}: " + ", ".join(f"{r['step_size']:g} {r['nll']:.3f}{'†' if r['diverged'] else ''}" for r in rows) + f" -> {v:g}", flush=True)
                runs = []
                for seed in cfg["seeds"]:
                    data, held = sample_2d(ds, cfg["n_train"], seed=1000 + seed), sample_2d(ds, cfg["n_held"], seed=999)
                    runs += [dict(r, dataset=ds, seed=seed, method=cd, step_size=v) for r in fair_run(losses[cd](v), ds, seed, [b], data, held, cfg, ckdir)]
                out[ds] = dict(tuning=rows, chosen=v, runs=runs)
        res["retune"] = dict(budget=b, sets=out, wall_sec=time.perf_counter() - t0, cpu_sec=time.process_time() - c0,
                             command="python benchmarks/bench2d.py --fair --retune-diverged")
        save_json(res, a.out); print("\n" + fair_tables(res)); return res

def fair_summary(res):
    "Per dataset and budget: each method's NLL cell, the paired difference DCD − CD and its verdict; the cost ratio; the targets."
    import seeds as S
    cfg = res["config"]; cd = f"cd-{cfg['cd_k']}"
    done = {(r["dataset"], r["seed"]) for r in res["runs"] if r["method"] == cd and r["budget"] == max(cfg["budgets"])}
    runs = [r for r in res["runs"] if (r["dataset"], r["seed"]) in done]  # whole (dataset, seed) blocks only
    dsets = [d for d in cfg["datasets"] if any(r["dataset"] == d for r in runs)]
    per = {}
    for b in cfg["budgets"]:
        for d in dsets:
            by = {m: {r["seed"]: r for r in runs if r["dataset"] == d and r["method"] == m and r["budget"] == b} for m in ("dcd", cd)}
            diff = S.paired({s: r["nll"] for s, r in by["dcd"].items()}, {s: r["nll"] for s, r in by[cd].items()})
            per[(b, d)] = dict(dcd=S.cell([r["nll"] for r in by["dcd"].values()]), cd=S.cell([r["nll"] for r in by[cd].values()]),
                               diff=diff, verdict=S.verdict(diff, better="lower"), step_size=res["tuning"][d]["chosen"][str(b)],
                               diverged={m: sum(r["diverged"] is not None for r in by[m].values()) for m in by},
                               steps={m: S.cell([r["steps"] for r in by[m].values()]) for m in by})
    ratio = {}
    for d in dsets:
        for s in {r["seed"] for r in runs if r["dataset"] == d}:
            sp = {r["method"]: r["sec_per_step"] for r in runs if r["dataset"] == d and r["seed"] == s}
            ratio[(d, s)] = sp["dcd"] / sp[cd]
    cost = S.cell(list(ratio.values()))
    tg = {}
    for b in cfg["budgets"]:
        vs = [per[(b, d)]["verdict"] for d in dsets]
        tg[b] = dict(no_worse=sum(v != "does not hold" for v in vs), better=sum(v == "holds" for v in vs), n_sets=len(dsets))
        tg[b]["met"] = tg[b]["no_worse"] == len(dsets) and tg[b]["better"] >= math.ceil(5 / 8 * len(dsets))
    retune = {}
    for d, rt in res.get("retune", {}).get("sets", {}).items():
        b = res["retune"]["budget"]
        x = {s: r["nll"] for s, r in ((r["seed"], r) for r in runs if r["dataset"] == d and r["method"] == "dcd" and r["budget"] == b)}
        y = {r["seed"]: r["nll"] for r in rt["runs"]}
        diff = S.paired(x, y)
        retune[d] = dict(step_size=rt["chosen"], cd=S.cell(list(y.values())), dcd=S.cell(list(x.values())), diff=diff,
                         verdict=S.verdict(diff, better="lower"), diverged=sum(r["diverged"] is not None for r in rt["runs"]),
                         steps=S.cell([r["steps"] for r in rt["runs"]]))
    if retune:   # the longer budget's target with the re-tuned CD-10 where the first choice diverged
        b = res["retune"]["budget"]
        vs = [retune[d]["verdict"] if d in retune else per[(b, d)]["verdict"] for d in dsets]
        tg[b]["retuned"] = dict(no_worse=sum(v != "does not hold" for v in vs), better=sum(v == "holds" for v in vs))
        tg[b]["retuned"]["met"] = tg[b]["retuned"]["no_worse"] == len(dsets) and tg[b]["retuned"]["better"] >= math.ceil(5 / 8 * len(dsets))
    return dict(per=per, cost=cost, cost_met=cost["mean"] is not None and cost["mean"] <= 0.5, targets=tg, datasets=dsets, cd=cd,
                n_seeds=len({r["seed"] for r in runs}), retune=retune)

def fair_tables(res):
    "Markdown: setup, the tuning table, the per-set table at each budget, the cost and the targets."
    import seeds as S
    sm, cfg, mi = fair_summary(res), res["config"], res["machine"]; cd = sm["cd"]
    L = [f"**Machine** {mi['cpu']}, {mi['cores']} cores, one thread; torch {mi['torch']}. **Budgets** {', '.join(f'{b:g}' for b in cfg['budgets'])} "
         f"CPU seconds of training per run; **seeds** {cfg['seeds']} (shared by both methods); {cfg['network']}, Adam lr {cfg['lr']}, "
         f"batch {cfg['batch_size']}, EMA {cfg['ema']} (scored); NLL on {cfg['n_held']} held-out points, grid {cfg['grid_n']}² on "
         f"[-{cfg['lim']}, {cfg['lim']}]². **DCD** fixed in advance: " + ", ".join(f"{k}={v}" for k, v in cfg["dcd"].items() if v is not None and k in ("estimator", "n_particles", "sigma")) +
         f". **{cd.upper()}** step size tuned per set over {cfg['cd_step_sizes']} on seed {cfg['tune_seed']}, {cfg['tune_budget']:g} CPU s per "
         f"value, picked by NLL on {cfg['n_val']} validation points, used at every budget.", ""]
    L += [f"| set | chosen step | validation NLL per step size after {cfg['tune_budget']:g} s (†: diverged) |", "|---|---|---|"]
    for d in sm["datasets"]:
        t = res["tuning"][d]
        L.append(f"| {d} | {t['chosen'][str(cfg['budgets'][0])]:g} | " +
                 ", ".join(f"{r['step_size']:g}: {r['nll']:.3f}{'†' if r['diverged'] else ''}" for r in t["rows"]) + " |")
    for b in cfg["budgets"]:
        L += ["", f"**{b:g} CPU s per run**: held-out NLL (nats), mean ± s.e. (n seeds); DCD − {cd.upper()} paired over seeds; "
                  "holds = DCD lower by more than 2 s.e.; † runs stopped by the divergence guard", "",
              f"| set | DCD | {cd.upper()} (step) | DCD − {cd.upper()} | verdict | steps DCD / {cd.upper()} |", "|---|---|---|---|---|---|"]
        for d in sm["datasets"]:
            p = sm["per"][(b, d)]
            dv = lambda m: "" if not p["diverged"][m] else f" †{p['diverged'][m]}"
            L.append(f"| {d} | {S.fmt(p['dcd'])}{dv('dcd')} | {S.fmt(p['cd'])}{dv(cd)} ({p['step_size']:g}) | {S.fmt(p['diff'])} | {p['verdict']} | "
                     f"{p['steps']['dcd']['mean']:.0f} / {p['steps'][cd]['mean']:.0f} |")
        t = sm["targets"][b]
        L.append(f"\nAt {b:g} s: DCD no worse than {cd.upper()} by more than 2 s.e. on {t['no_worse']}/{t['n_sets']} sets, better by more "
                 f"than 2 s.e. on {t['better']}/{t['n_sets']}: target {'met' if t['met'] else 'not met'}.")
    if sm["retune"]:
        b = res["retune"]["budget"]
        L += ["", f"**{cd.upper()} re-tuned at {b:g} s** on the sets where the step chosen at {cfg['tune_budget']:g} s diverged at {b:g} s (the same grid "
                  f"and tuning seed, now trained for {b:g} s; a second chance for {cd.upper()} only, so it favours the baseline):", "",
              f"| set | step | validation NLL per step size after {b:g} s | DCD | {cd.upper()} re-tuned | DCD − {cd.upper()} | verdict |", "|---|---|---|---|---|---|---|"]
        for d, p in sm["retune"].items():
            rt = res["retune"]["sets"][d]
            L.append(f"| {d} | {p['step_size']:g} | " + ", ".join(f"{r['step_size']:g}: {r['nll']:.3f}{'†' if r['diverged'] else ''}" for r in rt["tuning"])
                     + f" | {S.fmt(p['dcd'])} | {S.fmt(p['cd'])}{' †' + str(p['diverged']) if p['diverged'] else ''} | {S.fmt(p['diff'])} | {p['verdict']} |")
        t = sm["targets"][b]["retuned"]
        L.append(f"\nAt {b:g} s with these: DCD no worse on {t['no_worse']}/{len(sm['datasets'])} sets, better by more than 2 s.e. on "
                 f"{t['better']}/{len(sm['datasets'])}: target {'met' if t['met'] else 'not met'}.")
    L.append(f"\n**Cost per step** DCD / {cd.upper()} (median CPU seconds per step, paired per set and seed): {S.fmt(sm['cost'])}; "
             f"target ≤ 0.5: {'met' if sm['cost_met'] else 'not met'}.")
    if "cpu_sec" in res: L.append(f"\nStudy: {res['cpu_sec'] / 60:.1f} CPU-min, {res['wall_sec'] / 60:.1f} min wall (tuning {res['tune_cpu_sec'] / 60:.1f} CPU-min).")
    return "\n".join(L)


# ---------------------------------------------------------------------------------------------------------------- main
def save_json(res, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)) or ".", exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f: json.dump(res, f, indent=1, default=float)
    os.replace(tmp, path)

def ed_identity(sigma, seed=0):
    "Energy discrepancy is DCD's importance estimator: the two losses agree exactly on the same draws (returns max |Δ|)."
    x = sample_2d("8gaussians", 256, seed=seed); E = MLPEnergy(2)
    d = 0.
    for s in range(5):
        set_seed(s); a = make_loss("ed", sigma=sigma, n_particles=16)(E, x)["loss"]
        set_seed(s); b = make_loss("dcd", estimator="importance", sigma=sigma, n_particles=16)(E, x)["loss"]
        d = max(d, abs(float((a - b).detach())))
    return d

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="2 datasets, 6 methods, 300 steps, 1 seed (a few minutes)")
    p.add_argument("--datasets", nargs="+", choices=DATASETS); p.add_argument("--methods", nargs="+", choices=list(METHODS))
    p.add_argument("--seeds", nargs="+", type=int); p.add_argument("--steps", type=int)
    p.add_argument("--no-tune", action="store_true", help="skip tuning, use make_loss defaults")
    p.add_argument("--summarize", action="store_true", help="only re-read --out (and its density .npz) and print the tables")
    p.add_argument("--fair", action="store_true", help="the fair study: recommended DCD vs tuned CD-10 at budgets of CPU seconds, "
                                                      "3 seeds (--quick: 2 sets, 2 seeds, 2 s and 4 s)")
    p.add_argument("--budgets", nargs="+", type=float, help="--fair: training budgets in CPU seconds")
    p.add_argument("--retune-diverged", action="store_true", help="--fair: re-tune CD-10 at the longest budget where its step diverged there (reads --out)")
    p.add_argument("--out", default=None, help="JSON path (default benchmarks/results/bench2d.json, with --fair bench2d_fair.json)")
    a = p.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    a.out = a.out or os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "bench2d_fair.json" if a.fair else "bench2d.json")
    if a.fair:
        if a.summarize: print(fair_tables(json.load(open(a.out)))); return
        if a.retune_diverged: return fair_retune(a)
        return fair_main(a, a.quick)
    png, npz = os.path.splitext(a.out)[0] + ".png", os.path.splitext(a.out)[0] + "_density.npz"
    if a.summarize: return finish(json.load(open(a.out)), a.out, png, npz, None, time.perf_counter(), print)
    cfg = dict(SETTINGS, **(QUICK if a.quick else FULL))
    for k in ("datasets", "methods", "seeds", "steps"):
        if getattr(a, k) is not None: cfg[k] = getattr(a, k)
    if REF not in cfg["methods"]: cfg["methods"] = [REF] + cfg["methods"]  # the wall-clock budget needs CD-10
    cfg["methods"] = [m for m in METHODS if m in cfg["methods"]]
    t_start = time.perf_counter()
    log = lambda s: print(f"[{time.perf_counter() - t_start:7.1f}s] {s}", flush=True)
    res = dict(config=cfg, machine=machine_info(), quick=a.quick, runs=[], started=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()))
    with tempfile.TemporaryDirectory() as ckdir:
        groups = [] if a.no_tune else [g for g in cfg["tune_groups"] if any(METHODS[m][2] == g for m in cfg["methods"])]
        res["tuning"], res["chosen"] = tune(cfg, groups, cfg["tune_steps"], ckdir, log)
        res["tune_sec"] = time.perf_counter() - t_start
        kws = {m: {res["chosen"][METHODS[m][2]]["knob"]: res["chosen"][METHODS[m][2]]["value"]} for m in cfg["methods"]}
        res["ed_identity_max_abs_diff"] = ed_identity(res["chosen"]["dcd-importance"]["value"])
        log(f"energy discrepancy vs dcd-importance at the same σ, M and draws: max |Δloss| = {res['ed_identity_max_abs_diff']:.3g}")
        dens = {}
        for seed in cfg["seeds"]:
            for ds in cfg["datasets"]:
                data, held = sample_2d(ds, cfg["n_train"], seed=1000 + seed), sample_2d(ds, cfg["n_held"], seed=999)
                res.setdefault("held_outside_box", {})[ds] = int((held.abs() > cfg["lim"]).any(1).sum())
                T = None
                for m in [REF] + [m for m in cfg["methods"] if m != REF]:
                    t0 = time.perf_counter()
                    r = run_one(m, kws[m], ds, seed, cfg["steps"], T, data, held, cfg, ckdir, want_density=(seed == cfg["seeds"][0]))
                    if m == REF:  # the budget: CD-10's time for `steps` steps (estimated from its seconds/step if it diverged)
                        T = r["sec_at_steps"] if r["diverged"] is None else r["sec_per_step"] * cfg["steps"]
                        r["nll_T"] = bench_interp(r, T, 2); r["steps_at_T"] = int(round(bench_interp(r, T, 0)))
                        if ds in KNOWN_DENSITIES: r["kl_T"] = bench_interp(r, T, 3)
                    r["T"] = T; r["mmd2_milli"] = None if r.get("mmd2") is None else 1e3 * r["mmd2"]
                    if "_density" in r: dens[(ds, m)] = r.pop("_density")
                    res["runs"].append(r)
                    if (ds, m) in dens and seed == cfg["seeds"][0]:
                        np.savez_compressed(npz, **{f"{d}|{q}": v.astype(np.float16) for (d, q), v in dens.items()})
                    log(f"seed {seed} {ds:12s} {m:18s} NLL@{cfg['steps']} {r['nll_steps']:7.4f}  NLL@T {r['nll_T']:7.4f}  "
                        f"{1e3 * r['sec_per_step']:5.1f} ms/step  {r['steps_done']:5d} steps  "
                        f"{'DIVERGED ' if r['diverged'] else ''}({time.perf_counter() - t0:.1f}s)")
                    save_json(res, a.out)
    res["total_sec"] = time.perf_counter() - t_start
    res["finished"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    return finish(res, a.out, png, npz, dens, t_start, log)

def finish(res, out, png, npz, dens, t_start, log):
    "Targets, JSON, figure and tables from the runs recorded so far (a cut-down run is summarised the same way)."
    n_m = len(res["config"]["methods"])
    count = {}
    for r in res["runs"]: count[(r["dataset"], r["seed"])] = count.get((r["dataset"], r["seed"]), 0) + 1
    whole = {k for k, v in count.items() if v == n_m}  # keep whole (dataset, seed) blocks: every method on the same seeds
    if len(whole) < len(count):
        res["dropped_incomplete"] = sorted(f"{d}/seed {s}" for (d, s) in count if (d, s) not in whole)
        res["runs"] = [r for r in res["runs"] if (r["dataset"], r["seed"]) in whole]
    res["seeds_per_dataset"] = {d: sorted(s for (dd, s) in whole if dd == d) for d in res["config"]["datasets"]}
    res["config"]["datasets"] = [d for d in res["config"]["datasets"] if res["seeds_per_dataset"][d]]
    if "finished" not in res:  # a run cut short (killed): summarised from what it saved
        res["finished"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()) + " (summarised after a cut)"
        last = max((os.path.getmtime(out),) if os.path.exists(out) else (time.time(),))
        res["total_sec"] = last - time.mktime(time.strptime(res["started"], "%Y-%m-%d %H:%M:%S UTC")) + time.mktime(time.gmtime(0))
    agg, summ = summarize(res)
    res["recommended"] = recommend(res, agg, summ)
    res["targets"] = targets(res, agg, summ)
    save_json(res, out)
    if dens is None and os.path.exists(npz):
        z = np.load(npz); dens = {tuple(k.split("|")): z[k].astype(np.float32) for k in z.files}
    if dens: density_figure(dens, list(res["config"]["datasets"]), res["config"]["methods"], png, res["config"]["lim"])
    print("\n" + tuning_table(res) + "\n\n" + tables(res))
    log(f"wrote {out} ({os.path.getsize(out) / 1e3:.0f} kB) and {png}; total {res.get('total_sec', float('nan')):.0f}s")
    return res

if __name__ == "__main__":
    main()
