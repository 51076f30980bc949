"""Fashion-MNIST generation on a CPU: the image recipe of `dcd_train generate`, trained by DCD, DSM and CD at equal CPU time,
sampled by the probability-flow ODE, and scored by a domain classifier and Inception.

The recipe (RECIPE below): 28x28 images on [-1, 1]; a TimeUNetEnergy of width 16; one continuous noise level per row,
log-uniform on [0.01, 20]; batch 64, Adam lr 2e-3, gradient clip 1, EMA 0.999; a budget in CPU seconds of one thread (the
process's CPU time, so runs sharing the machine get the same compute). The EMA's decay is warmed up, min(0.999, (1+n)/(10+n)) at
update n, and the warm-up governs below 8,990 updates: in a run of about 2,000 steps the EMA weighs step k about as k^8, 87 % of
its weight on the last fifth of the steps, and 0.999 takes effect only in the longer GPU runs. Per method:
    DSM: `continuous_dsm_loss`; DCD: `continuous_dcd_loss` (kernel tau = sigma, one antithetic unadjusted pair, h = 0.03 tau^2);
    CD: `continuous_cd_loss` (5 Langevin steps, h = 0.1 sigma^2).
Samples: 1,000 by Heun on EDM's schedule (18 levels, 35 network evaluations each). Scores: the domain classifier of
dcd_nb.metrics (class coverage, confidence, Frechet distance in its features, with calibration rows); FID and KID with the
standard Inception features against the first 5,000 test images; the nearest training image of 8 samples. The learning curve
is the held-out denoising loss per noise level of the EMA weights at each stop, a score that needs no sampler.

    python benchmarks/bench_images.py train dcd --budget 1800          # about 30 CPU-minutes; checkpoints under runs/bench_images
    python benchmarks/bench_images.py score dcd --budget 1800          # sample, score, write benchmarks/results/images/dcd.json
    python benchmarks/bench_images.py samplers dcd --budget 1800       # the sampler table on that energy
    python benchmarks/bench_images.py train dcd --budget 1800 --seed 1 && python benchmarks/bench_images.py score dcd --budget 1800 --seed 1
                                                                       # another seed: results/images/seeds/dcd_s1.json (no samples file)
    python benchmarks/bench_images.py train dcd --budget 600 --set dist=lognormal   # a lever: one recipe entry changed (own run names)
    python benchmarks/bench_images.py quick dcd --budget 600 --set dist=lognormal   # its row of the levers table (250 samples)
    python benchmarks/bench_images.py quick dcd --budget 1800 --set temp=1.03       # a lever of the sampler alone (exp(-E/T)): the recipe's weights
    python benchmarks/bench_images.py quick dcd --budget 1800 --mean-of 1200 1500 1800   # the weights: the mean of three EMA snapshots
    python benchmarks/bench_images.py scale dcd --budget 1800          # the score's scale per level (1: neither too sharp nor too flat)
    python benchmarks/bench_images.py threads                          # seconds per step at one thread and at every core (idle machine)
    python benchmarks/bench_images.py compiled                         # CPU seconds per step, eager and torch.compile'd (idle machine)
    python benchmarks/bench_images.py train dcd --budget 1800 --set compile=1   # DCD trained through torch.compile (DCD, CD; not DSM)
    python benchmarks/bench_images.py train dcd --budget 1800 --set cooldown=0.2   # the learning rate cooled to 0 over the last 20 % of the budget
    python benchmarks/bench_images.py train dcd --budget 1800 --set weight=0.5     # each row's loss weighted by sigma^0.5 (a per-level loss weighting)
    python benchmarks/bench_images.py train dcd --budget 1800 --set warmup=200     # the learning rate warmed up linearly over the first 200 steps
    python benchmarks/bench_images.py train dcd --budget 1800 --set dcd_c_wide=0.003  # DCD's step fraction falls from 0.03 to 0.003 between sigma 0.05 and 0.2, level weights kept
    python benchmarks/bench_images.py train dcd --budget 3600 && python benchmarks/bench_images.py score dcd --budget 3600
                                                                       # twice the budget: continues the 1,800-s run; levers/dcd_t3600.json

Prints markdown tables with the machine, versions and seed.
"""
import argparse, json, math, os, time
os.environ.setdefault("TORCHINDUCTOR_COMPILE_THREADS", "1")   # with --set compile=1, compile inside the process: its CPU time counts in the budget
import numpy as np
import torch
from dcd_nb.core import set_seed, machine_info, write_atomic
from dcd_nb.images import TimeUNetEnergy, fashion_mnist
from dcd_nb.denoise import train_checkpoints
from dcd_nb.train import cooldown
from dcd_nb.generate import sample_sigmas, continuous_dsm_loss, continuous_dcd_loss, continuous_cd_loss, NoiseLadder, sample_images, DCD_STEP_FRACTION
from dcd_nb.metrics import load_inception, inception_features, fid_from_features, kid_from_features, load_classifier, classifier_outputs, classifier_scores, calibration_rows, nearest_train, N_REF
from dcd_nb.cli import GEN_DEFAULTS, CPU_IMAGE, SAMPLE_STEPS, CONTINUOUS_LOSS
from cpu_clock import use_cpu_clock   # this script's folder is on sys.path

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT_DIR = os.path.join(HERE, "results", "images")
RUN_DIR = os.path.join(ROOT, "runs", "bench_images")
# The recipe is `dcd_train generate`'s on a CPU, read from the library so that the two cannot drift apart.
RECIPE = dict(size=GEN_DEFAULTS["size"], **CPU_IMAGE, **{k: GEN_DEFAULTS[k] for k in ("grad_clip", "ema", "sigma_min", "sigma_max")},
              dist=GEN_DEFAULTS["noise"], sampler=GEN_DEFAULTS["sampler"], sampler_steps=SAMPLE_STEPS["heun"], n_samples=GEN_DEFAULTS["n_samples"],
              n_ref=N_REF, dcd_c=DCD_STEP_FRACTION, temp=1.,   # temp: the sampler draws from exp(-E/temp) (1: the energy as trained)
              compile=0,   # 1: train through torch.compile (DCD and CD; `fit` refuses DSM, whose loss differentiates an input gradient)
              cooldown=0.,   # f > 0: the learning rate falls linearly to 0 over the last fraction f of the budget (`train.cooldown` in CPU seconds)
              weight=0.,     # p: each row's loss weighted by sigma^p (the losses' weight_power; 0.5 evens out the per-level gradient noise)
              warmup=0,      # n > 0: the learning rate rises linearly from lr/n to lr over the first n optimiser steps
              dcd_c_wide=0.) # c' > 0: DCD's step fraction goes from dcd_c at sigma <= 0.05 to c' at sigma >= 0.2 (0.003 falls, 0.1 rises), log-linear in
                             # between, each row divided by c(sigma)/dcd_c so that every level keeps its weight (keep_weights)
WIDE_KNEES = (0.05, 0.2)   # where dcd_c_wide's fall starts and ends (gradbias_dcd_s0.json: the pair's bias turns its gradient at sigma = 0.2)
SAMPLE_KEYS = ("temp",)   # levers of the sampler alone: they reuse the recipe's (or the training lever's) weights
METHODS = dict(dsm=continuous_dsm_loss, dcd=continuous_dcd_loss, cd=continuous_cd_loss)   # keywords: dcd_train generate's (DCD's step fraction: RECIPE["dcd_c"])
METHODS = {m: (f, dict(CONTINUOUS_LOSS[m])) for m, f in METHODS.items()}
STOPS = (150, 300, 600, 900, 1200, 1500, 1800, 2700, 3600)   # CPU seconds at which the EMA weights are kept (the learning curve)
BUDGET = 1800   # the committed results' budget (30 CPU-minutes per method); a run with another one is scored under levers/ with its budget in the name
CURVE_SIGMAS = (0.02, 0.05, 0.1, 0.2, 0.5, 1., 2., 5.)
CURVE_IMAGES = slice(6000, 6500)                 # held-out test images for the learning curve (outside the FID/KID reference and calibration)

class LevelFraction:
    "DCD's step fraction as a function of the level: c at sigma <= a, c_wide at sigma >= b, log-linear in log sigma between."
    def __init__(self, c, c_wide, knees=WIDE_KNEES): self.c, self.c_wide, (self.a, self.b) = c, c_wide, knees
    def __call__(self, s):
        u = ((s.log() - math.log(self.a)) / math.log(self.b / self.a)).clamp(0, 1)
        return self.c * (self.c_wide / self.c) ** u
    def __repr__(self): return f"{self.c:g}->{self.c_wide:g} over sigma {self.a:g}..{self.b:g}"

def loss_of(method):
    f, kw = METHODS[method]
    if method == "dcd": kw = dict(kw, step_fraction=RECIPE["dcd_c"])
    if method == "dcd" and RECIPE["dcd_c_wide"]: kw = dict(kw, step_fraction=LevelFraction(RECIPE["dcd_c"], RECIPE["dcd_c_wide"]), keep_weights=True)
    if RECIPE["weight"]: kw = dict(kw, weight_power=RECIPE["weight"])
    def loss(E, x): return f(E, x, RECIPE["sigma_min"], RECIPE["sigma_max"], RECIPE["dist"], parts=True, **kw)
    loss.name = f"{f.__name__}({', '.join(f'{k}={v}' for k, v in kw.items())})"
    return loss

TAG, SET_ARGS, TRAIN_TAG = "", "", ""   # a lever's name (`--set`): its runs and results are kept apart from the recipe's; TRAIN_TAG names its weights

def snap_path(method, seed, t): return os.path.join(RUN_DIR, f"{method}{TRAIN_TAG}_s{seed}_t{int(t)}.pt")

def set_lever(pairs):
    "Change RECIPE entries for one lever (`--set dist=lognormal`); its snapshots and results carry the change in their names."
    global TAG, SET_ARGS, TRAIN_TAG
    if pairs: SET_ARGS = " --set " + " ".join(pairs)
    for kv in pairs:
        k, v = kv.split("=", 1)
        if k not in RECIPE: raise SystemExit(f"--set: unknown recipe entry {k!r} (one of {', '.join(RECIPE)})")
        RECIPE[k] = type(RECIPE[k])(v) if not isinstance(RECIPE[k], str) else v
        TAG += f"+{k}={v}"
        if k not in SAMPLE_KEYS: TRAIN_TAG += f"+{k}={v}"

def out_path(name, seed=0, budget=BUDGET):
    "Where a result goes: the recipe's seed 0 beside its samples, other seeds under seeds/, levers and other budgets under levers/."
    if budget != BUDGET: return os.path.join(OUT_DIR, "levers", f"{name}{TAG}_t{budget:g}" + (f"_s{seed}" if seed else "") + ".json")
    if TAG: return os.path.join(OUT_DIR, "levers", f"{name}{TAG}" + (f"_s{seed}" if seed else "") + ".json")
    return os.path.join(OUT_DIR, "seeds", f"{name}_s{seed}.json") if seed else os.path.join(OUT_DIR, name + ".json")

def lr_schedule(budget):
    "The recipe's learning-rate factor per step: a linear warm-up over `warmup` steps, a cool-down over the last `cooldown` of the budget."
    cool = cooldown(budget, RECIPE["cooldown"], "seconds") if RECIPE["cooldown"] else None
    n = RECIPE["warmup"]
    if not n: return cool
    def schedule(step, seconds): return min(1., (step + 1) / n) * (cool(step, seconds) if cool else 1.)
    schedule.name = f"warmup({n})" + (f" * {cool.name}" if cool else "")
    return schedule

def train(method, budget, seed):
    "Train one method; keep the EMA weights at each stop."
    os.makedirs(RUN_DIR, exist_ok=True)
    x = fashion_mnist("train", scale="pm1", size=RECIPE["size"]).tensors[0]
    set_seed(seed); E = TimeUNetEnergy(1, RECIPE["ch"], RECIPE["size"]); D = x[0].numel()
    stops = [t for t in STOPS if t < budget] + [budget]
    if TAG != TRAIN_TAG: raise SystemExit(f"train: {', '.join(SAMPLE_KEYS)} change the sampler only; train without them")
    ck = os.path.join(RUN_DIR, f"{method}{TAG}_s{seed}.ckpt")
    for t, h in train_checkpoints(E, loss_of(method), x, stops, ck, lr=RECIPE["lr"], batch_size=RECIPE["batch_size"], seed=seed,
                                  ema=RECIPE["ema"], grad_clip=RECIPE["grad_clip"], compile=bool(RECIPE["compile"]),
                                  lr_schedule=lr_schedule(budget), progress=False, max_gap=50. * D, max_energy=500. * D):
        torch.save(dict(ema=h.ema.state_dict(), hparams=E.hparams, t=t, steps=len(h["loss"]), train_cpu_s=sum(h["sec"]),
                        loss=h["loss"], diverged=h["diverged"]), snap_path(method, seed, t))
        print(f"{method}: {t:g} CPU s, {len(h['loss'])} steps, loss {np.mean(h['loss'][-50:]):.4f}", flush=True)

def load_snap(method, seed, t):
    s = torch.load(snap_path(method, seed, t), weights_only=False)
    E = TimeUNetEnergy(**s["hparams"]); E.load_state_dict(s["ema"])
    return E.eval().requires_grad_(False), s

def heldout_draws(E, seed=0):
    "For each of CURVE_SIGMAS, on the held-out images with fixed noise draws: (ε, σ∇E(x+σε, σ))."
    x = fashion_mnist("test", scale="pm1", size=RECIPE["size"]).tensors[0][CURVE_IMAGES]
    g = torch.Generator().manual_seed(seed)
    for s in CURVE_SIGMAS:
        eps = torch.randn(x.shape, generator=g)
        y = (x + s * eps).requires_grad_(True)
        grad, = torch.autograd.grad(E(y, s).sum(), y)
        yield eps, s * grad

def heldout_dsm(E, seed=0):
    "Held-out denoising loss ½E‖ε - σ∇E(x+σε, σ)‖²/D at each of CURVE_SIGMAS (fixed noise draws): lower is a better score."
    return [round(0.5 * (eps - u).flatten(1).pow(2).sum(1).mean().item() / eps[0].numel(), 5) for eps, u in heldout_draws(E, seed)]

def score_scale(E, seed=0):
    """The score's scale E‖σ∇E‖² / E⟨σ∇E, ε⟩ at each of CURVE_SIGMAS (the same draws as `heldout_dsm`): 1 for the best score, whose
    σ∇E is E[ε | x_σ]; above 1 the energy is too sharp for its level (its score longer than its agreement with the noise supports)."""
    return [round((u.pow(2).sum() / (u * eps).sum()).item(), 4) for eps, u in heldout_draws(E, seed)]

def curve_row(method, seed, t):
    "The learning curve's point at stop t: steps trained and the held-out denoising loss per level (each snapshot loaded once)."
    E, snap = load_snap(method, seed, t)
    return dict(t=t, steps=snap["steps"], heldout_dsm=heldout_dsm(E))

def to01(x): return ((x + 1) / 2).clamp(0, 1).nan_to_num(0.5)

def save_grid(x01, path, n=64):
    "The first n samples (on [0, 1]) as an 8-column grey PNG at 1x: the grids 92 shows at 3x from the file."
    from PIL import Image
    from dcd_nb.images import image_grid
    Image.fromarray((image_grid(x01[:n], nrow=8)[0] * 255).round().to(torch.uint8).numpy(), "L").save(path, optimize=True)

_INC = {}
def inception_scores(x01, seed):
    "FID and KID against the first N_REF test images (their features cached in the temp folder; a process computing them holds a lock)."
    if "m" not in _INC: _INC["m"] = load_inception()
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"dcd_fm_ref_{N_REF}_28.pt")
    while os.path.exists(path + ".lock"): time.sleep(5)   # another run is computing them
    if os.path.exists(path): f_ref = torch.load(path)
    else:
        open(path + ".lock", "w").close()
        try: f_ref = inception_features(fashion_mnist("test").tensors[0][:N_REF], _INC["m"], progress=True); write_atomic(path, lambda tmp: torch.save(f_ref, tmp))
        finally: os.remove(path + ".lock")
    f = inception_features(x01, _INC["m"])
    km, ks = kid_from_features(f, f_ref, 100, min(1000, len(f)), torch.Generator().manual_seed(seed))
    return dict(fid=round(fid_from_features(f, f_ref), 2), kid=round(km, 4), kid_std=round(ks, 4))

def draw(E, sampler, steps, n, seed):
    set_seed(seed + 1); t0 = time.process_time()
    lad = NoiseLadder([RECIPE["sigma_min"], RECIPE["sigma_max"]]) if sampler in ("heun", "euler", "pc") else \
          NoiseLadder(torch.logspace(math.log10(RECIPE["sigma_min"]), math.log10(RECIPE["sigma_max"]), 11).tolist())
    Es = E if RECIPE["temp"] == 1 else (lambda z, t: E(z, t) / RECIPE["temp"])
    x, nfe = sample_images(Es, lad, sampler, n, (1, RECIPE["size"], RECIPE["size"]), steps, batch=250)
    return to01(x), nfe, time.process_time() - t0

def score(method, budget, seed):
    "Sample the final EMA weights, score them, add the learning curve, write the result JSON and the uint8 samples."
    E, s = load_snap(method, seed, budget)
    x01, nfe, sample_s = draw(E, RECIPE["sampler"], RECIPE["sampler_steps"], RECIPE["n_samples"], seed)
    clf = load_classifier()
    f_ref = classifier_outputs(fashion_mnist("test").tensors[0][:N_REF], clf)[0]
    res = dict(method=method, loss=loss_of(method).name, budget_cpu_s=budget, train_cpu_s=round(s["train_cpu_s"], 1), steps=s["steps"],
               diverged=s["diverged"], sec_per_step=round(s["train_cpu_s"] / s["steps"], 3),
               images_seen=s["steps"] * RECIPE["batch_size"], sampler=RECIPE["sampler"], nfe=nfe, sample_cpu_s=round(sample_s, 1),
               classifier=classifier_scores(x01, f_ref, clf))
    xtr = fashion_mnist("train").tensors[0]
    idx, d = nearest_train(x01[:8], xtr)
    res["nearest"] = dict(train_index=idx.tolist(), distance=[round(v, 3) for v in d.tolist()])
    stops = [t for t in STOPS if t < budget] + [budget]
    res["curve"] = dict(sigmas=CURVE_SIGMAS, rows=[curve_row(method, seed, t) for t in stops if os.path.exists(snap_path(method, seed, t))])
    loss = np.asarray(s["loss"], float); k = max(1, len(loss) // 50)
    res["loss_curve"] = [round(float(v), 4) for v in loss[: len(loss) // k * k].reshape(-1, k).mean(1)]
    res.update(inception_scores(x01, seed))
    res.update(recipe=RECIPE, seed=seed, machine=machine_info(), load_avg_1min=round(os.getloadavg()[0], 2),
               command=f"python benchmarks/bench_images.py train {method} --budget {budget:g} --seed {seed}{SET_ARGS} && "
                       f"python benchmarks/bench_images.py score {method} --budget {budget:g} --seed {seed}{SET_ARGS}")
    os.makedirs(os.path.dirname(out_path(method, seed, budget)), exist_ok=True)
    if not TAG and not seed and budget == BUDGET:   # the samples and the grid of 92
        torch.save((x01 * 255).round().to(torch.uint8), os.path.join(OUT_DIR, f"{method}_samples.pt")); save_grid(x01, os.path.join(OUT_DIR, f"{method}_grid.png"))
    elif TAG or budget != BUDGET: save_grid(x01, os.path.join(OUT_DIR, "levers", f"{method}{TAG}_s{seed}_t{budget:g}_grid.png"))   # a lever's grid (the name quick gives it)
    write_atomic(out_path(method, seed, budget), lambda tmp: json.dump(res, open(tmp, "w"), indent=1))
    c = res["classifier"]
    print(f"{method}: {res['steps']} steps; classes {c['classes']}, confidence {c['mean_conf']}, Frechet {c['frechet']}; "
          f"FID {res['fid']}, KID {res['kid']} ± {res['kid_std']}", flush=True)
    return res

SAMPLER_GRID = {"heun": (6, 10, 18, 40), "euler": (11, 19, 35, 79), "pc": (6, 10, 18, 40), "annealed": (1, 2, 3, 8),   # NFE about 11, 19, 35, 79
                "recovery": (1, 2, 7)}   # 10 levels of MALA with K steps: NFE 21, 31, 81

def samplers(method, budget, seed, n=250, with_fid=False):
    "Each sampler at three or four NFE values on the same trained energy: classifier scores (and FID/KID with `with_fid`) of n samples."
    E, _ = load_snap(method, seed, budget)
    clf = load_classifier(); f_ref = classifier_outputs(fashion_mnist("test").tensors[0][:N_REF], clf)[0]
    rows = []
    for name, grid in SAMPLER_GRID.items():
        for steps in grid:
            x01, nfe, secs = draw(E, name, steps, n, seed)
            c = classifier_scores(x01, f_ref, clf)
            rows.append(dict(sampler=name, steps=steps, nfe=nfe, sample_cpu_s=round(secs, 1), classes=c["classes"], mean_conf=c["mean_conf"],
                             frechet=c["frechet"], **(inception_scores(x01, seed) if with_fid else {})))
            print(rows[-1], flush=True)
    res = dict(method=method, budget_cpu_s=budget, n=n, rows=rows, fid=with_fid, calibration=calibration_rows(n, clf), recipe=RECIPE, seed=seed,
               machine=machine_info(), command=f"python benchmarks/bench_images.py samplers {method} --budget {budget:g} --seed {seed}{SET_ARGS}")
    os.makedirs(OUT_DIR, exist_ok=True)
    write_atomic(os.path.join(OUT_DIR, f"samplers_{method}{TAG}.json"), lambda tmp: json.dump(res, open(tmp, "w"), indent=1))
    return res

def add_row(name, row):
    "Put `row` into the table results/images/<name> (rows keyed by row['key']; a rerun replaces its row), print and return it."
    path = os.path.join(OUT_DIR, name)
    rows = {r["key"]: r for r in (json.load(open(path))["rows"] if os.path.exists(path) else [])}
    rows[row["key"]] = row
    write_atomic(path, lambda tmp: json.dump(dict(curve_sigmas=CURVE_SIGMAS, rows=list(rows.values())), open(tmp, "w"), indent=1))
    print(row, flush=True)
    return row

QUICK_N = 250   # samples per row of the levers table (its Frechet distances sit above the 1,000-sample ones: compare rows with rows)

def mean_of_snaps(method, seed, stops):
    "The mean of the EMA snapshots at `stops` (CPU seconds): a longer average over one run's weights than its EMA; the last stop's snapshot."
    snaps = [load_snap(method, seed, t)[1] for t in stops]
    E = TimeUNetEnergy(**snaps[-1]["hparams"]); E.load_state_dict({k: sum(s["ema"][k] for s in snaps) / len(snaps) for k in snaps[-1]["ema"]})
    return E.eval().requires_grad_(False), snaps[-1]

def quick(method, budget, seed, raw=False, mean_of=()):
    """One row of the levers table: the snapshot at `budget` (or the checkpoint's raw weights with `raw`, or the mean of the snapshots at
    the stops `mean_of`, the last being `budget`), QUICK_N Heun samples, classifier scores and the held-out denoising loss; the grid of its
    first 64 samples beside it (levers/<key>_grid.png)."""
    if mean_of and (raw or mean_of[-1] != budget): raise SystemExit("--mean-of: stops ending at --budget, without --raw")
    if mean_of: E, snap = mean_of_snaps(method, seed, mean_of); steps = snap["steps"]
    elif raw:
        c = torch.load(os.path.join(RUN_DIR, f"{method}{TRAIN_TAG}_s{seed}.ckpt"), weights_only=False)
        E = TimeUNetEnergy(**c["energy"]["hparams"]); E.load_state_dict(c["model"]); E.eval().requires_grad_(False)
        steps, t = len(c["history"]["loss"]), sum(c["history"]["sec"])
        if abs(t - budget) > 0.05 * budget: raise SystemExit(f"--raw: the checkpoint holds {t:.0f} CPU s of training, not {budget:g}")
    else: E, snap = load_snap(method, seed, budget); steps = snap["steps"]
    clf = load_classifier(); f_ref = classifier_outputs(fashion_mnist("test").tensors[0][:N_REF], clf)[0]
    x01, nfe, secs = draw(E, RECIPE["sampler"], RECIPE["sampler_steps"], QUICK_N, seed)
    c = classifier_scores(x01, f_ref, clf)
    key = f"{method}{TAG} s{seed} t{budget:g}" + (" raw" if raw else "") + (f" mean{'-'.join(f'{t:g}' for t in mean_of)}" if mean_of else "")
    os.makedirs(os.path.join(OUT_DIR, "levers"), exist_ok=True); save_grid(x01, os.path.join(OUT_DIR, "levers", key.replace(" ", "_") + "_grid.png"))
    row = dict(key=key, method=method, lever=TAG.lstrip("+") or "recipe", weights="raw" if raw else f"mean of EMA at {', '.join(f'{t:g}' for t in mean_of)} s" if mean_of else f"EMA {RECIPE['ema']}", seed=seed,
               budget_cpu_s=budget, steps=steps, n=QUICK_N, classes=c["classes"], mean_conf=c["mean_conf"], frechet=c["frechet"],
               heldout_dsm=heldout_dsm(E), command=f"python benchmarks/bench_images.py quick {method} --budget {budget:g} --seed {seed}{SET_ARGS}" + (" --raw" if raw else "")
                       + (f" --mean-of {' '.join(f'{t:g}' for t in mean_of)}" if mean_of else ""))
    return add_row("levers.json", row)

def scale(method, budget, seed):
    "One row of score_scale.json: the score's scale per level (`score_scale`) of the EMA weights at `budget`."
    E, snap = load_snap(method, seed, budget)
    key = f"{method}{TAG} s{seed} t{budget:g}"
    row = dict(key=key, method=method, lever=TAG.lstrip("+") or "recipe", seed=seed, budget_cpu_s=budget, steps=snap["steps"], scale=score_scale(E),
               command=f"python benchmarks/bench_images.py scale {method} --budget {budget:g} --seed {seed}{SET_ARGS}")
    return add_row("score_scale.json", row)

THREADS_STEPS = (5, 20)   # warm-up and timed training steps per method and thread count

def time_steps(E, loss, x, warm, n_steps):
    "Train E with `loss` for `warm` then `n_steps` Adam steps (seeded batches); (wall s, CPU s) per timed step and the warm-up's CPU s."
    opt = torch.optim.Adam(E.parameters(), RECIPE["lr"]); g = torch.Generator().manual_seed(0); c00 = time.process_time()
    for k in range(warm + n_steps):
        if k == warm: w0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad(); loss(E, x[torch.randint(len(x), (RECIPE["batch_size"],), generator=g)])["loss"].backward(); opt.step()
    return (time.perf_counter() - w0) / n_steps, (time.process_time() - c0) / n_steps, c0 - c00

def threads(methods):
    "Wall-clock and CPU seconds per training step of each method at one thread and at every core (run it alone on an idle machine)."
    x, out = fashion_mnist("train", scale="pm1", size=RECIPE["size"]).tensors[0], []
    warm, n_steps = THREADS_STEPS
    load0 = os.getloadavg()[0]
    for n in sorted({1, os.cpu_count()}):
        torch.set_num_threads(n)
        for m in methods:
            set_seed(0); wall, cpu, _ = time_steps(TimeUNetEnergy(1, RECIPE["ch"], RECIPE["size"]), loss_of(m), x, warm, n_steps)
            out.append(dict(method=m, threads=n, wall_s_per_step=round(wall, 4), cpu_s_per_step=round(cpu, 4)))
            print(out[-1], flush=True)
    torch.set_num_threads(1)
    res = dict(rows=out, steps=n_steps, warmup=warm, load_avg_1min_before=round(load0, 2), recipe=RECIPE, machine=machine_info(),
               command="python benchmarks/bench_images.py threads")
    write_atomic(os.path.join(OUT_DIR, "threads.json"), lambda tmp: json.dump(res, open(tmp, "w"), indent=1))
    print("| method | threads | wall s / step | CPU s / step |\n|---|---|---|---|\n" + "\n".join(f"| {r['method']} | {r['threads']} | {r['wall_s_per_step']} | {r['cpu_s_per_step']} |" for r in out))
    return res

def dsm_compiled(E):
    """DSM's loss for torch.compile: the input gradient by `torch.func.grad` (compile cannot take `autograd.grad(create_graph=True)`,
    which `continuous_dsm_loss` uses), the whole loss compiled; the same draws as `continuous_dsm_loss` (checked in `compiled`)."""
    from torch.func import functional_call, grad
    def core(params, buffers, xs, s, eps):
        g = grad(lambda z: functional_call(E, (params, buffers), (z, s)).sum())(xs)
        return 0.5 * (eps - s.view(-1, 1, 1, 1) * g).flatten(1).pow(2).sum(1).mean()
    core = torch.compile(core)
    def loss(E_, x):
        s = sample_sigmas(len(x), RECIPE["sigma_min"], RECIPE["sigma_max"], RECIPE["dist"]); eps = torch.randn_like(x)
        return dict(loss=core(dict(E.named_parameters()), dict(E.named_buffers()), x + s.view(-1, 1, 1, 1) * eps, s, eps))
    return loss

COMPILED_STEPS = (10, 30)   # warm-up (compiling included) and timed training steps

def compiled_row(m, comp):
    "One row of `compiled`: method m's CPU seconds per step, eager or compiled (in a process of its own)."
    torch.set_num_threads(1)
    x, warm, n_steps = fashion_mnist("train", scale="pm1", size=RECIPE["size"]).tensors[0], *COMPILED_STEPS
    set_seed(0); E = TimeUNetEnergy(1, RECIPE["ch"], RECIPE["size"])
    if comp and m == "dsm":
        loss = dsm_compiled(E)
        set_seed(1); a = loss(E, x[:8])["loss"].item(); set_seed(1); b = continuous_dsm_loss(E, x[:8]).item()
        if abs(a - b) > 1e-4 * abs(b): raise SystemExit(f"dsm_compiled: {a} against continuous_dsm_loss's {b}")
    else: loss = lambda E_, xb, f=loss_of(m), V=torch.compile(E) if comp else E: f(V, xb)
    _, cpu, warm_cpu = time_steps(E, loss, x, warm, n_steps)
    return dict(method=m, compiled=comp, cpu_s_per_step=round(cpu, 4), warmup_cpu_s=round(warm_cpu, 1))

def compiled(methods):
    """CPU seconds per training step of each method, eager and through torch.compile, at one thread (run it alone on an idle
    machine). Each row runs in a fresh process: in one process, compiling DSM's torch.func loss first left DCD's compiled step
    no faster than its eager one (0.79 against 0.81 s), where alone it is about a fifth faster."""
    import multiprocessing as mp
    out, load0 = [], os.getloadavg()[0]
    for m in methods:
        for comp in (False, True):
            with mp.get_context("spawn").Pool(1) as pool: out.append(pool.apply(compiled_row, (m, comp)))
            print(out[-1], flush=True)
    warm, n_steps = COMPILED_STEPS
    res = dict(rows=out, steps=n_steps, warmup=warm, load_avg_1min_before=round(load0, 2), recipe=RECIPE, machine=machine_info(),
               command="python benchmarks/bench_images.py compiled")
    write_atomic(os.path.join(OUT_DIR, "compiled.json"), lambda tmp: json.dump(res, open(tmp, "w"), indent=1))
    print("| method | compiled | CPU s / step | warm-up CPU s |\n|---|---|---|---|\n" + "\n".join(f"| {r['method']} | {r['compiled']} | {r['cpu_s_per_step']} | {r['warmup_cpu_s']} |" for r in out))
    return res

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("what", choices=("train", "score", "samplers", "calibration", "quick", "scale", "threads", "compiled"))
    p.add_argument("method", choices=tuple(METHODS) + ("all",), nargs="?", default="all")
    p.add_argument("--budget", type=float, default=1800.)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--raw", action="store_true", help="quick: the checkpoint's raw weights instead of the EMA snapshot")
    p.add_argument("--mean-of", type=float, nargs="*", default=[], metavar="STOP", help="quick: the mean of the EMA snapshots at these stops (CPU s; the last = --budget)")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="a lever: change recipe entries (results under results/images/levers)")
    a = p.parse_args(argv)
    set_lever(a.set)
    torch.set_num_threads(1); use_cpu_clock()
    m = machine_info()
    print(f"machine: {m['cpu']}, {m['cores']} cores, torch {torch.__version__} (1 thread), seed {a.seed}", flush=True)
    if a.what == "calibration":
        rows = calibration_rows(RECIPE["n_samples"])
        write_atomic(os.path.join(OUT_DIR, "calibration.json"), lambda tmp: json.dump(dict(n=RECIPE["n_samples"], n_ref=N_REF, rows=rows, machine=m), open(tmp, "w"), indent=1))
        print("| set | classes | confidence | Fréchet |\n|---|---|---|---|")
        for k, v in rows.items(): print(f"| {k} | {v['classes']} | {v['mean_conf']} | {v['frechet']} |")
        return
    if a.what in ("threads", "compiled"): return {"threads": threads, "compiled": compiled}[a.what](tuple(METHODS) if a.method == "all" else (a.method,))
    for meth in (METHODS if a.method == "all" else (a.method,)):
        if a.what == "quick": quick(meth, a.budget, a.seed, a.raw, tuple(a.mean_of))
        else: {"train": train, "score": score, "samplers": samplers, "scale": scale}[a.what](meth, a.budget, a.seed)

if __name__ == "__main__": main()
