"""Why DCD needs more steps than DSM for the same held-out loss: the noise of one step's gradient, per noise level.

On one trained energy (by default the recipe's DCD weights after 1,800 CPU s, `bench_images.py train dcd`), for a fixed batch
of 64 training images and one noise level σ at a time, the θ-gradient of each objective is drawn `--repeats` times with fresh
noise, and its spread (the root of the trace of its covariance) is reported:

* DSM: `continuous_dsm_loss` at level σ (its gradient is the σ²-weighted score-matching gradient);
* DCD: `continuous_dcd_loss` at level σ (kernel τ = σ, one antithetic unadjusted pair, h = c τ²). For a small step its expected
  gradient is c times DSM's (both estimate c σ² ∇θ J, J the implicit score-matching objective ½|∇E|² − ΔE), so its spread is
  divided by c to be read in DSM's units;
* DCD with the level point x_σ held fixed: only the pair's noise varies. What is left of DCD's variance comes from the level
  point itself, and more pairs per row cannot remove it (with K pairs the variance is V_level + V_pair / K).

The mean gradients' norms are printed beside (in the same units) as a check of the c-scaling. Writes
benchmarks/results/images/gradnoise_{method}_s{seed}.json.

    python benchmarks/bench_gradnoise.py                          # on DCD's weights (seed 0); about 10 CPU-minutes on one thread
    python benchmarks/bench_gradnoise.py --method dsm --seed 2    # the same on weights DSM trained (bench_images.py train dsm --seed 2)
    python benchmarks/bench_gradnoise.py --sampling --repeats 32   # about 4 CPU-minutes: the spread of a whole step's gradient
        # (a fresh batch of 64 training images, a level per row from the recipe's law) as a step draws its levels: independently,
        # stratified (one level in each 1/64 of the log-range, the low-discrepancy sampler of variational diffusion models), with
        # antithetic level points (32 images, each at one level with noise +ε and -ε), and both; DSM and DCD on the same weights;
        # writes gradsampling_{method}_s{seed}.json
    python benchmarks/bench_gradnoise.py --repeats 24 --fractions 0.003 0.01 0.03 0.1   # about 8 CPU-minutes
        # the pair's step: DCD's mean gradient (divided by c) against DSM's per level, for each step fraction c;
        # writes gradbias_{method}_s{seed}.json; with --double the same in float64 (gradbias_..._f64.json)
"""
import argparse, contextlib, json, math, os
import torch
import dcd_nb.generate as G
from dcd_nb.core import set_seed, machine_info, write_atomic
from dcd_nb.images import fashion_mnist
from dcd_nb.generate import continuous_dsm_loss, continuous_dcd_loss, sample_sigmas
import bench_images as B   # this script's folder is on sys.path

SIGMAS = (0.05, 0.2, 1., 5.)

def dcd_at(E, x, sigma, c, xs=None, seed=0, parts=False):
    "continuous_dcd_loss at one level (kernel τ = σ) under `seed`; with `xs` its level point is xs (its input is shifted by the noise it will draw), so only the pair's draws vary with the seed."
    if xs is not None:
        set_seed(seed); sample_sigmas(len(x), sigma, sigma, dtype=x.dtype); x = xs - sigma * torch.randn_like(x)   # the draws the call below repeats
    set_seed(seed)
    return continuous_dcd_loss(E, x, sigma, sigma, step_fraction=c, parts=parts)

def draws(E, f, repeats, seed):
    "The θ-gradient of f(seed) for `repeats` seeds: their mean (float64) and spread (the root of the trace of their covariance)."
    params, gs = list(E.parameters()), []
    for r in range(repeats):
        set_seed(seed + r); E.zero_grad(); f(seed + r).backward()
        gs.append(torch.cat([p.grad.flatten() for p in params]).clone())
    g = torch.stack(gs).double(); m = g.mean(0)
    return m, (g - m).pow(2).sum(1).mean().sqrt().item()

def spread(E, f, repeats, seed):
    "Root trace of the covariance of the θ-gradient of f(seed) over `repeats` seeds, and the norm of their mean."
    m, s = draws(E, f, repeats, seed)
    return s, m.norm().item()

def step_bias(E, x, fractions, repeats):
    """Per level σ, DSM's mean θ-gradient g and, for each step fraction c, DCD's mean divided by c, d: the projection
    α = ⟨d, g⟩/|g|² (1 in the small-step limit, where the pair estimates c times DSM's gradient) and the cosine of d and g."""
    print("| σ | c | α | cosine | DCD mean / c | its noise | DSM mean |\n|---|---|---|---|---|---|---|")
    rows = []
    for i, sg in enumerate(SIGMAS):
        g, _ = draws(E, lambda k: continuous_dsm_loss(E, x, sg, sg), repeats, 1000 * i)
        for c in fractions:
            d, sp = draws(E, lambda k: dcd_at(E, x, sg, c, seed=k), repeats, 1000 * i + 500)
            d = d / c
            rows.append(dict(sigma=sg, c=c, alpha=(d @ g / g.dot(g)).item(), cos=(d @ g / (d.norm() * g.norm())).item(),
                             dcd_mean=d.norm().item(), dcd_noise=sp / c / math.sqrt(repeats), dsm_mean=g.norm().item()))
            r = rows[-1]
            print(f"| {sg:g} | {c:g} | {r['alpha']:.2f} | {r['cos']:.2f} | {r['dcd_mean']:.1f} | {r['dcd_noise']:.1f} | {r['dsm_mean']:.1f} |", flush=True)
    return rows

SAMPLINGS = dict(independent=(False, False), stratified=(True, False), antithetic=(False, True), both=(True, True))

@contextlib.contextmanager
def level_sampling(stratified, antithetic, calls):
    """Inside, the continuous losses draw their levels stratified (`stratified`) and the noise of their level points antithetic:
    the second half of the rows takes the first half's levels and negated noise (`antithetic`; the caller repeats the images).
    The losses' code is unchanged: `sample_sigmas` and the first `torch.randn_like` of each call are replaced; `calls` counts both."""
    sample, randn_like = G.sample_sigmas, torch.randn_like
    def sigmas(n, sigma_min, sigma_max, dist, device=None, dtype=torch.float32):
        assert dist == "loguniform"; calls["sigmas"] += 1; calls["first"] = True; m = n // 2 if antithetic else n
        u = ((torch.rand(1, dtype=torch.float64) + torch.arange(m) / m) % 1)[torch.randperm(m)] if stratified else torch.rand(m, dtype=torch.float64)
        s = (math.log(sigma_min) + (math.log(sigma_max) - math.log(sigma_min)) * u).exp().to(dtype)
        return torch.cat([s, s]) if antithetic else s
    def noise(x, *args, **kw):
        if not (antithetic and calls.pop("first", False)): return randn_like(x, *args, **kw)
        calls["antithetic"] += 1; e = randn_like(x[:len(x) // 2]); return torch.cat([e, -e])
    G.sample_sigmas, torch.randn_like = sigmas, noise
    try: yield
    finally: G.sample_sigmas, torch.randn_like = sample, randn_like

def sampling_spreads(E, xtr, c, repeats, batch):
    "For DSM and DCD (in DSM's units), the spread and mean norm of one step's θ-gradient under each of SAMPLINGS."
    print("| objective | levels drawn | spread | mean norm |\n|---|---|---|---|")
    rows, loss = [], dict(dsm=lambda x: continuous_dsm_loss(E, x, B.RECIPE["sigma_min"], B.RECIPE["sigma_max"]),
                          dcd=lambda x: continuous_dcd_loss(E, x, B.RECIPE["sigma_min"], B.RECIPE["sigma_max"], step_fraction=c) / c)
    for m, f in loss.items():
        for name, (strat, anti) in SAMPLINGS.items():
            calls = dict(sigmas=0, antithetic=0)
            def step(k):
                g = torch.Generator().manual_seed(k); i = torch.randint(len(xtr), (batch // 2 if anti else batch,), generator=g)
                x = xtr[torch.cat([i, i]) if anti else i]
                with level_sampling(strat, anti, calls): return f(x)
            sp, mn = spread(E, step, repeats, 7000)
            assert calls["sigmas"] == repeats and calls["antithetic"] == repeats * anti, calls
            rows.append(dict(objective=m, sampling=name, spread=sp, mean_norm=mn))
            print(f"| {m.upper()} | {name} | {sp:.1f} | {mn:.1f} |", flush=True)
    return rows

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--method", default="dcd"); p.add_argument("--seed", type=int, default=0); p.add_argument("--budget", type=float, default=1800.)
    p.add_argument("--repeats", type=int, default=16); p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE")
    p.add_argument("--fractions", nargs="*", type=float, default=[], metavar="C", help="instead of the spreads: DCD's mean gradient against DSM's at these step fractions")
    p.add_argument("--sampling", action="store_true", help="instead: the spread of a whole step's gradient as the levels are drawn four ways")
    p.add_argument("--double", action="store_true", help="with --fractions: the energy and data in float64 (separates rounding from the step's bias)")
    a = p.parse_args(argv)
    B.set_lever(a.set); torch.set_num_threads(1)
    c = B.RECIPE["dcd_c"]
    E, snap = B.load_snap(a.method, a.seed, a.budget); E.requires_grad_(True)
    x = fashion_mnist("train", scale="pm1", size=B.RECIPE["size"]).tensors[0]
    x = x[torch.randperm(len(x), generator=torch.Generator().manual_seed(a.seed))[:B.RECIPE["batch_size"]]]
    set_seed(1); xs1 = x + 0.5 * torch.randn_like(x); e1 = E(xs1, torch.full((len(x),), 0.5)).mean()
    outs = [dcd_at(E, x, 0.5, c, xs1, seed=k, parts=True) for k in (1, 2)]
    assert all(abs(o["e_pos"] - e1) < 1e-4 * e1.abs().clamp(min=1) for o in outs) and outs[0]["e_neg"] != outs[1]["e_neg"], "a held level point: E(x_σ) fixed, the pair drawn afresh"
    print(f"machine: {machine_info()['cpu']}; energy: {a.method} seed {a.seed} after {snap['steps']} steps; c = {c}; batch {len(x)}; {a.repeats} draws per cell")
    cmd = f"python benchmarks/bench_gradnoise.py --method {a.method} --seed {a.seed}" + (f" --set {' '.join(a.set)}" if a.set else "")
    if a.sampling:
        xtr = fashion_mnist("train", scale="pm1", size=B.RECIPE["size"]).tensors[0]
        res = dict(energy=dict(method=a.method, seed=a.seed, budget_cpu_s=a.budget, steps=snap["steps"]), c=c, batch=len(x), repeats=a.repeats,
                   rows=sampling_spreads(E, xtr, c, a.repeats, len(x)), machine=machine_info(), command=cmd + f" --sampling --repeats {a.repeats}")
        return write_atomic(os.path.join(B.OUT_DIR, f"gradsampling_{a.method}{B.TAG}_s{a.seed}.json"), lambda tmp: json.dump(res, open(tmp, "w"), indent=1))
    if a.fractions:
        if a.double: E, x = E.double(), x.double()
        res = dict(energy=dict(method=a.method, seed=a.seed, budget_cpu_s=a.budget, steps=snap["steps"], dcd_c=c), dtype=str(x.dtype), batch=len(x), repeats=a.repeats,
                   rows=step_bias(E, x, a.fractions, a.repeats), machine=machine_info(),
                   command=cmd + f" --repeats {a.repeats} --fractions {' '.join(f'{f:g}' for f in a.fractions)}" + " --double" * a.double)
        return write_atomic(os.path.join(B.OUT_DIR, f"gradbias_{a.method}{B.TAG}_s{a.seed}{'_f64' * a.double}.json"), lambda tmp: json.dump(res, open(tmp, "w"), indent=1))
    print("| σ | DSM spread | DCD spread / c | DCD / DSM | pair only / c | level point / c | mean norm DSM | DCD / c |\n|---|---|---|---|---|---|---|---|")
    rows = []
    for i, sg in enumerate(SIGMAS):
        set_seed(10_000 + i); xs = x + sg * torch.randn_like(x)
        dsm = spread(E, lambda k: continuous_dsm_loss(E, x, sg, sg), a.repeats, 100 * i)
        dcd = spread(E, lambda k: dcd_at(E, x, sg, c, seed=k), a.repeats, 100 * i + 50)
        pair = spread(E, lambda k: dcd_at(E, x, sg, c, xs, seed=k), a.repeats, 100 * i + 80)
        level = math.sqrt(max(dcd[0]**2 - pair[0]**2, 0.))
        rows.append(dict(sigma=sg, dsm_spread=dsm[0], dcd_spread=dcd[0] / c, pair_spread=pair[0] / c, level_spread=level / c,
                         dsm_mean=dsm[1], dcd_mean=dcd[1] / c))
        r = rows[-1]
        print(f"| {sg:g} | {r['dsm_spread']:.1f} | {r['dcd_spread']:.1f} | {r['dcd_spread'] / r['dsm_spread']:.2f} | {r['pair_spread']:.1f} | "
              f"{r['level_spread']:.1f} | {r['dsm_mean']:.1f} | {r['dcd_mean']:.1f} |", flush=True)
    res = dict(energy=dict(method=a.method, seed=a.seed, budget_cpu_s=a.budget, steps=snap["steps"]), c=c, batch=len(x), repeats=a.repeats, rows=rows,
               machine=machine_info(), command=cmd)
    write_atomic(os.path.join(B.OUT_DIR, f"gradnoise_{a.method}{B.TAG}_s{a.seed}.json"), lambda tmp: json.dump(res, open(tmp, "w"), indent=1))

if __name__ == "__main__": main()
