#!/usr/bin/env python
"""The denoising study: CD vs DCD vs DSM noise-conditioned energies on Fashion-MNIST at equal training time, with the noisy
images and a tuned blur as baselines.

    python benchmarks/bench_denoise.py --method dcd          # one method (run cd, dcd and dsm; two can share the machine)
    python benchmarks/bench_denoise.py --grid dcd            # a method's tuning grid: its variants for 120 s each
    python benchmarks/bench_denoise.py --table               # the merged study from the committed results
    python benchmarks/bench_denoise.py --method dcd --budgets 120 --curve --seed 1 --out benchmarks/results/denoise/seeds/dcd_s1.json
    python benchmarks/bench_denoise.py --seeds-table         # the seeds study: every seeds/METHOD_sSEED.json, paired over seeds

Protocol (11_denoise explains it): one noise-conditioned energy per method (a U-Net of width 8 in denoiser form, `--arch`),
trained with the method's multi-level objective over the VE ladder sigma = 0.1, 0.15, ..., 0.3 (the tested noise levels) and
0.4 (the top); batch 32, Adam lr 1e-3, gradient clip 1, EMA 0.999. The training budget counts CPU seconds of this process (one
thread), so that runs sharing a busy machine get the same compute; on an idle machine it equals wall-clock time (`--wall-clock`
counts wall-clock seconds instead; on a GPU it is the default). The run stops at every time of the curve and the budgets: at
each, Tweedie's denoiser is scored on the first 500 test images (the PSNR-vs-time curve); at each budget every denoiser
(Tweedie, posterior mean, MAP) is tried on 300 validation images, the best is scored on the 2,000 test images (PSNR, SSIM).
Noise is seeded per sigma and image set, the same for every method. `--grid METHOD` trains each of the method's variants for
120 s and scores Tweedie only; the study's settings (dcd_nb.denoise.STUDY_METHODS) are the grid's best by mean validation PSNR.

Prints the machine, versions and settings and markdown tables; writes benchmarks/results/denoise/{method}.json (or
grid_{method}.json): rows (sigma, method, denoiser, psnr, ssim, picked, ...), the curve, and (the study only) 8 example images per
sigma and budget as base64 uint8.
"""
import argparse, json, os, sys, time
import torch
from dcd_nb.core import DCDError, machine_info
from dcd_nb.denoise import denoise_study, merge_studies, study_table, targets_table, grid_table, study_to_json, load_study
from cpu_clock import cpu_clock   # this script's folder is on sys.path

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results", "denoise")
GRID = {  # method -> {label: settings}; the same number of variants for CD and DCD
    "cd": {"cd K=1 c=0.03": dict(method="cd", n_steps=1, step_fraction=0.03),
           "cd K=3 c=0.03": dict(method="cd", n_steps=3, step_fraction=0.03),
           "cd K=3 c=0.1": dict(method="cd", n_steps=3, step_fraction=0.1),
           "cd K=10 c=0.1": dict(method="cd", n_steps=10, step_fraction=0.1)},
    "dcd": {"dcd ULA c=0.01": dict(method="dcd", estimator="langevin", step_fraction=0.01),
            "dcd ULA c=0.03": dict(method="dcd", estimator="langevin", step_fraction=0.03),
            "dcd ULA c=0.1": dict(method="dcd", estimator="langevin", step_fraction=0.1),
            "dcd MALA (generate's default)": dict(method="dcd")},
}

SEEDS = os.path.join(RESULTS, "seeds")

def seeds_summary(folder=SEEDS, budget=120., denoiser="tweedie"):
    """The seeds study from `folder`/METHOD_sSEED.json: per σ the test PSNR of each method's `denoiser` ('tweedie', or 'picked':
    the one picked on validation, where the run tried the chains) as mean ± s.e. over seeds, DCD − CD and DCD − DSM paired
    over the seeds all three share (same noise draws), the targets, steps and times."""
    import glob, re
    import seeds as S
    runs = {}
    for f in sorted(glob.glob(os.path.join(folder, "*_s*.json"))):
        m, sd = re.match(r"(\w+)_s(\d+)\.json", os.path.basename(f)).groups()
        runs[(m, int(sd))] = json.load(open(f))
    shared = sorted(set.intersection(*[{sd for (m, sd) in runs if m == q} for q in ("cd", "dcd", "dsm")]))
    sigmas = runs[("dcd", shared[0])]["config"]["sigmas"]
    ok = lambda q, m: q["picked"] if m in ("noisy", "blur") or denoiser == "picked" else q["denoiser"] == denoiser
    pick = lambda r, m, s: next(q["psnr"] for q in r["rows"] if q["method"] == m and q["sigma"] == s and ok(q, m) and q.get("budget") in (None, budget))
    per = {}
    for s in sigmas:
        v = {m: {sd: pick(runs[(m if m in ("cd", "dcd", "dsm") else "dcd", sd)], m, s) for sd in shared} for m in ("noisy", "blur", "cd", "dcd", "dsm")}
        per[s] = dict(cells={m: S.cell(list(x.values())) for m, x in v.items()}, values=v,
                      dcd_cd=S.paired(v["dcd"], v["cd"]), dcd_dsm=S.paired(v["dcd"], v["dsm"]), dcd_blur=S.paired(v["dcd"], v["blur"]))
        per[s].update(v_cd=S.verdict(per[s]["dcd_cd"], "higher"), v_dsm=S.verdict(per[s]["dcd_dsm"], "higher", margin=-0.3),
                      v_dsm0=S.verdict(per[s]["dcd_dsm"], "higher"), v_blur=S.verdict(per[s]["dcd_blur"], "higher"))
    steps = {m: S.cell([next(q["steps"] for q in runs[(m, sd)]["rows"] if q.get("budget") == budget) for sd in shared]) for m in ("cd", "dcd", "dsm")}
    meta = {f"{m}_s{sd}": dict(wall_sec=r["wall_sec"], cpu_sec=r.get("cpu_sec"), load_avg_1min=r.get("load_avg_1min"), command=r["command"],
                               steps=next(q["steps"] for q in r["rows"] if q.get("budget") == budget)) for (m, sd), r in runs.items()}
    r0 = runs[("dcd", shared[0])]
    return dict(per=per, seeds=shared, denoiser=denoiser, sigmas=sigmas, budget=budget, steps=steps, runs=meta, config=r0["config"], machine=r0["machine"],
                clock=r0["clock"], targets=dict(cd=all(per[s]["v_cd"] == "holds" for s in sigmas),
                                                 dsm=all(per[s]["v_dsm"] == "holds" for s in sigmas),
                                                 dsm_contradicted=any(per[s]["v_dsm"] == "does not hold" for s in sigmas)))

def seeds_table(sm):
    "Markdown: picked denoisers' test PSNR, mean ± s.e. (n seeds), and the paired differences with their verdicts."
    import seeds as S
    c, m = sm["config"], sm["machine"]
    L = [f"Fashion-MNIST, {c['n_test']} test images, {sm['budget']:g} {sm['clock']} of training per method and seed, seeds {sm['seeds']} "
         f"(each seed: the network's initialisation, the minibatch order and the noise draws, shared by the three methods); {m['cpu']}, "
         f"torch {m['torch']}. Test PSNR (dB) of " + ("the denoiser picked on validation" if sm["denoiser"] == "picked" else "Tweedie's denoiser" if sm["denoiser"] == "tweedie" else f"the {sm['denoiser']} denoiser")
         + " (noisy: the observations; blur: the Gaussian blur tuned on validation); differences paired over seeds.", "",
         "| σ | noisy | blur | CD | DCD | DSM | DCD − CD | DCD − DSM |", "|---|---|---|---|---|---|---|---|"]
    for s, p in sm["per"].items():
        f = lambda k: S.fmt(p["cells"][k], 2, n=False)
        L.append(f"| {s} | {f('noisy')} | {f('blur')} | {f('cd')} | {f('dcd')} | {f('dsm')} | {S.fmt(p['dcd_cd'], 2)}: {p['v_cd']} | "
                 f"{S.fmt(p['dcd_dsm'], 2)}: {'≥ −0.3 ' + p['v_dsm'] if p['v_dsm'] != 'within noise' else 'within noise of −0.3'} |")
    L += ["", "Steps in the budget (mean ± s.e.): " + ", ".join(f"{k.upper()} {S.fmt(v, 0)}" for k, v in sm["steps"].items()) + ".",
          f"Targets: DCD − CD > 0 by more than 2 paired s.e. at every σ: {'holds' if sm['targets']['cd'] else 'does not hold'}; "
          f"DCD − DSM ≥ −0.3 dB at every σ: " + ("holds" if sm["targets"]["dsm"] else "does not hold" if sm["targets"]["dsm_contradicted"] else "within noise")
          + " (" + "; ".join(f"σ={s}: {p['v_dsm']}" for s, p in sm["per"].items()) + ")."]
    return "\n".join(L)

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--method", choices=["cd", "dcd", "dsm"]); g.add_argument("--grid", choices=list(GRID)); g.add_argument("--table", action="store_true")
    g.add_argument("--seeds-table", action="store_true", help="the seeds study (results/denoise/seeds): mean ± s.e. and paired differences")
    p.add_argument("--sigmas", nargs="+", type=float, default=[0.1, 0.2, 0.3])
    p.add_argument("--budgets", nargs="+", type=float, default=[120., 600.]); p.add_argument("--curve", nargs="*", type=float, default=[30., 60., 240., 420.])
    p.add_argument("--arch", default="unet", choices=["unet", "unet-wide", "mlp"]); p.add_argument("--n-test", type=int, default=2000)
    p.add_argument("--n-val", type=int, default=300); p.add_argument("--seed", type=int, default=0); p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--device", default=None); p.add_argument("--data-root", default=None, help="Fashion-MNIST folder (default: the Debian package)")
    p.add_argument("--wall-clock", action="store_true", help="budgets in wall-clock seconds (the default on a GPU)")
    p.add_argument("--tweedie-only", action="store_true", help="score Tweedie's denoiser only (no MAP / posterior-mean chains: the seeds study)")
    p.add_argument("--out", default=None, help=f"JSON path (default {os.path.relpath(RESULTS)}/METHOD.json or grid_METHOD.json)")
    a = p.parse_args(argv)
    if a.seeds_table: print(seeds_table(seeds_summary())); return 0
    if a.table:
        res = merge_studies([load_study(os.path.join(RESULTS, f"{m}.json")) for m in ("cd", "dcd", "dsm")])
        print(study_table(res) + "\n\nTargets (picked denoisers' test PSNR, dB):\n\n" + targets_table(res)); return 0
    cpu = not (a.wall_clock or (a.device or "").startswith("cuda") or (a.device is None and torch.cuda.is_available()))
    with cpu_clock(cpu): return _run(a, argv, cpu)   # in-process callers (the notebook) get fit's own clock back

def _run(a, argv, cpu):
    "The study or grid of `main`'s arguments: train, score, write the JSON, print the tables."
    runs = list(GRID[a.grid].items()) if a.grid else [(a.method, a.method)]
    kw = dict(sigmas=a.sigmas, budgets=[120.] if a.grid else a.budgets, curve=[] if a.grid else a.curve, arch=a.arch, chains=not (a.grid or a.tweedie_only),
              n_val=a.n_val, n_test=500 if a.grid else a.n_test, batch_size=a.batch_size, seed=a.seed, device=a.device, data_root=a.data_root, progress=False)
    t0, out = time.time(), a.out or os.path.join(RESULTS, (f"grid_{a.grid}" if a.grid else a.method) + ".json")
    try: res = [denoise_study((label, spec) if a.grid else label, **kw) for label, spec in runs]
    except DCDError as e: print(f"bench_denoise: error: {e}", file=sys.stderr); return 2
    gpu = torch.cuda.get_device_name(0) if res[0]["config"]["device"].startswith("cuda") else None
    meta = dict(machine=dict(machine_info(), gpu=gpu, device=res[0]["config"]["device"]), clock="CPU seconds of one thread" if cpu else "wall-clock seconds",
                wall_sec=time.time() - t0, cpu_sec=time.process_time(), load_avg_1min=os.getloadavg()[0], command="python benchmarks/bench_denoise.py " + " ".join(sys.argv[1:] if argv is None else argv))
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    json.dump(dict(meta, runs=[dict({k: v for k, v in r.items() if k != "energy"}, examples={}) for r in res]) if a.grid else dict(study_to_json(res[0]), **meta), open(out, "w"), indent=None, default=str)
    m, c = meta["machine"], res[0]["config"]
    print(f"# denoising {'grid ' + a.grid if a.grid else 'study, ' + a.method}: Fashion-MNIST 28×28, arch {c['arch']}, ladder {c['ladder']}, "
          f"budgets {c['budgets']} ({meta['clock']}), batch {c['batch_size']}, lr {c['lr']}, seed {c['seed']}, "
          f"{c['n_train']} train / {c['n_val']} val / {c['n_test']} test images")
    print(f"# machine: {m}; wall {meta['wall_sec']:.0f} s\n")
    print(grid_table(res) if a.grid else study_table(res[0]))
    print(f"\nwrote {os.path.relpath(out)}")
    return 0

if __name__ == "__main__":
    sys.exit(main())
