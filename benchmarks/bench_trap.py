#!/usr/bin/env python
"""The Laplace trap with an MLP (05_dcd, "The trap, reproduced with an MLP"): DCD estimators on 8 Gaussians, NLL and energy gap.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_trap.py [--steps 1500] [--out benchmarks/results/dcd_trap.json]

Setting (05_dcd states it): 8 centres at radius 4, noise std 0.5, all divided by 1.414; `MLPEnergy(2)` (hidden 128, depth 3),
Adam lr 1e-3, batch 512, `--steps` steps, seed 0, float32. NLL in nats on 5,000 held-out points with the EBM normalised on a
150x150 grid over [-4.5, 4.5]^2; the true mixture's NLL on the same points is the floor. "gap" is the lowest energy on the grid
minus the mean energy of the held-out data. Writes a small JSON and prints a markdown table with the machine and versions.
"""
import argparse, json, math, os, platform, sys, time
import torch
import dcd_nb
from dcd_nb.core import set_seed, cpu_name
from dcd_nb.energy import MLPEnergy
from dcd_nb.diffusion import VE
from dcd_nb.dcd import dcd_loss

RUNS = [("laplace", 0.3, {}), ("laplace", 0.3, dict(energy_reg=0.01)), ("laplace", 0.1, {}), ("mala", 0.3, {}), ("importance", 1.0, {})]
CENTRES = 4 * torch.tensor([[math.cos(2 * math.pi * i / 8), math.sin(2 * math.pi * i / 8)] for i in range(8)], dtype=torch.float32)


def eight_gaussians(n, gen):
    "n points of the 8-Gaussians set from the generator `gen`."
    return (CENTRES[torch.randint(8, (n,), generator=gen)] + 0.5 * torch.randn(n, 2, generator=gen, dtype=torch.float32)) / 1.414


def held_out():
    "(held-out points, the true mixture's NLL on them, the evaluation grid and its spacing)."
    held = eight_gaussians(5000, torch.Generator().manual_seed(1))
    c = CENTRES.double() / 1.414
    true_nll = float(-(torch.distributions.Normal(c[None], 0.5 / 1.414).log_prob(held.double()[:, None]).sum(-1).logsumexp(1) - math.log(8)).mean())
    lin = torch.linspace(-4.5, 4.5, 150, dtype=torch.float32)
    return held, true_nll, torch.stack(torch.meshgrid(lin, lin, indexing="ij"), -1).reshape(-1, 2), float(lin[1] - lin[0])


def grid_eval(net, held, grid, dx):
    "(NLL on the held-out points with the energy normalised on the grid, lowest grid energy minus mean held-out energy)."
    with torch.no_grad():
        eg, eh = net(grid).double(), net(held).double()
        log_z = torch.logsumexp(-eg, 0) + 2 * math.log(dx)
        return float((eh + log_z).mean()), float(eg.min() - eh.mean())


def run(estimator, sigma, kw, steps, held, grid, dx):
    "Train one MLP energy with `dcd_loss` and score it: (NLL, gap, seconds)."
    set_seed(0); net = MLPEnergy(2).float(); opt = torch.optim.Adam(net.parameters(), 1e-3); g = torch.Generator().manual_seed(0)
    t0 = time.perf_counter()
    for _ in range(steps):
        loss = dcd_loss(net, eight_gaussians(512, g), VE(sigma), estimator, **kw); opt.zero_grad(); loss.backward(); opt.step()
    return (*grid_eval(net, held, grid, dx), time.perf_counter() - t0)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "dcd_trap.json"))
    a = p.parse_args(argv)
    t0 = time.time(); held, true_nll, grid, dx = held_out()
    rows = [dict(estimator=e, sigma=s, energy_reg=kw.get("energy_reg", 0.), **dict(zip(("nll", "gap", "sec"), run(e, s, kw, a.steps, held, grid, dx))))
            for e, s, kw in RUNS]
    res = dict(command=" ".join(["benchmarks/bench_trap.py"] + (sys.argv[1:] if argv is None else list(argv))), steps=a.steps, true_nll=true_nll, rows=rows, wall_sec=time.time() - t0,
               machine=dict(cpu=cpu_name(), cores=os.cpu_count(), torch_threads=torch.get_num_threads(), python=platform.python_version(),
                            torch=torch.__version__, dcd_nb=dcd_nb.__version__))
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    json.dump(res, open(a.out, "w"), indent=1)
    print(f"# {res['command']}: {a.steps} steps; {res['machine']}; wall {res['wall_sec']:.0f} s")
    print(f"true mixture NLL on the held-out points: {true_nll:.3f}\n")
    print(table(res))
    return 0


def table(res):
    "The markdown table of a results dict."
    return "| estimator | σ | energy_reg | NLL (nats) | gap | seconds |\n|---|---|---|---|---|---|\n" + "\n".join(
        f"| {r['estimator']} | {r['sigma']} | {r['energy_reg']} | {r['nll']:.4g} | {r['gap']:.4g} | {r['sec']:.0f} |" for r in res["rows"])


if __name__ == "__main__":
    sys.exit(main())
