#!/usr/bin/env python
"""Training throughput of the image objectives of `dcd_train generate`, at equal batch on one device.

    .venv/bin/python benchmarks/bench_throughput.py [--quick] [--device cuda] [--batch-size 128] [--size 32] [--steps 30]
                                                    [--out benchmarks/results/bench_throughput.json]

Rows: multi-level DCD (multilevel_dcd_loss with its default estimator, K and init), multi-level DSM, multi-level CD-60, all in fp32;
then DCD under mixed precision (bf16 on a CPU; fp16 and bf16 on CUDA). Every row is `fit` (13_cli's `generate_loss` on a
`TimeConvEnergy`, Adam, no EMA) for `--steps` optimiser steps on random images in [-1, 1] (throughput does not depend on the
pixels); the time of a step is `fit`'s own per-step record (batch draw, loss, backward, optimiser step), the median over the steps
after `--warmup`. The ratios are compared with the generation study's targets: a DCD step at least 3x faster than a CD-60 step, and AMP at least
1.5x faster than fp32 for DCD with no NaN. `--quick` (tiny network and batch) runs in under a minute on one CPU core.
"""
import argparse, json, math, os, platform, sys, time, warnings
import numpy as np
import torch
import dcd_nb
from dcd_nb.core import set_seed, get_device
from dcd_nb.images import TimeConvEnergy
from dcd_nb.core import cpu_name
from dcd_nb.train import fit
from dcd_nb.cli import generate_defaults, generate_loss, generate_passes, make_ladder, CD_K

QUICK = dict(size=16, ch=8, blocks=1, levels=4, batch_size=16, steps=12, warmup=2)
FULL = dict(size=32, ch=64, blocks=3, levels=10, batch_size=128, steps=30, warmup=5)
TARGETS = dict(dcd_over_cd=3.0, amp_over_fp32=1.5)

def measure(method, cfg, dev, amp=None, k=None, seed=0):
    "Median seconds per training step, images/s, finite-loss flag and steps run for one configuration."
    kw = dict(generate_defaults(method)["loss_kw"])
    if k is not None and method != "dsm": kw["n_steps"] = k
    lad = make_ladder("ve", cfg["levels"])
    in_ch = 1
    set_seed(seed)
    E = TimeConvEnergy(in_ch=in_ch, ch=cfg["ch"], n_blocks=cfg["blocks"], size=cfg["size"])
    data = torch.rand(max(1024, cfg["batch_size"]), in_ch, cfg["size"], cfg["size"], generator=torch.Generator().manual_seed(seed)) * 2 - 1
    data = data.to(dev)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = fit(E, generate_loss(method, lad, kw), data, steps=cfg["steps"], lr=2e-4, batch_size=cfg["batch_size"], seed=seed,
                ema=None, grad_clip=1.0, device=dev, progress=False, amp=amp, guard=None)
    if dev.type == "cuda": torch.cuda.synchronize(dev)
    sec = np.asarray(h["sec"][cfg["warmup"]:], dtype=float)
    med = float(np.median(sec))
    return dict(method=method, amp=amp or "fp32", k=kw.get("n_steps"), sec_per_step=med, images_per_s=cfg["batch_size"] / med,
                finite=bool(np.all(np.isfinite(h["loss"]))), steps=len(h["loss"]), passes=generate_passes(method, kw))

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny network and batch (CPU smoke run, < 1 minute)")
    p.add_argument("--device", default=None, help="cpu, cuda, ... (default: the best available)")
    for name in ("batch-size", "size", "steps", "ch", "blocks", "levels"): p.add_argument(f"--{name}", type=int, default=None)
    p.add_argument("--out", default=None, help="also write the rows as JSON here")
    a = p.parse_args(argv)
    cfg = dict(QUICK if a.quick else FULL)
    over = {key: getattr(a, key) for key in ("batch_size", "size", "steps", "ch", "blocks", "levels") if getattr(a, key) is not None}
    cfg.update(over)
    cfg["warmup"] = min(cfg["warmup"], cfg["steps"] - 1)
    dev = get_device(a.device)
    t0 = time.perf_counter()
    rows = [measure("dcd", cfg, dev), measure("dsm", cfg, dev), measure("cd", cfg, dev, k=CD_K)]
    amps = ["fp16", "bf16"] if dev.type == "cuda" else ["bf16"]
    rows += [measure("dcd", cfg, dev, amp=m) for m in amps]
    wall = time.perf_counter() - t0
    dev_name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else cpu_name()
    print(f"machine: {platform.platform()}, {cpu_name()}, {os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}")
    print(f"device: {dev} ({dev_name}); torch {torch.__version__}; dcd_nb {dcd_nb.__version__}; python {platform.python_version()}")
    print(f"settings: {'--quick' if a.quick else 'full'}{' with ' + ', '.join(f'--{k.replace(chr(95), chr(45))} {v}' for k, v in over.items()) if over else ''}; batch {cfg['batch_size']}; image 1x{cfg['size']}x{cfg['size']}; "
          f"TimeConvEnergy(ch={cfg['ch']}, n_blocks={cfg['blocks']}); VE ladder L={cfg['levels']}; {cfg['steps']} steps, median after {cfg['warmup']}; "
          f"seed 0; {wall:.0f} s total\n")
    base = {r["method"]: r for r in rows if r["amp"] == "fp32"}
    print("| objective | precision | K | passes/image (fwd/grad) | ms/step | images/s | vs DCD fp32 | finite loss |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        rel = base["dcd"]["sec_per_step"] / r["sec_per_step"]
        print(f"| {r['method']} | {r['amp']} | {r['k'] if r['k'] is not None else '-'} | {r['passes']['forward']}/{r['passes']['input_grad']} | "
              f"{1e3 * r['sec_per_step']:.1f} | {r['images_per_s']:.1f} | {rel:.2f}x | {r['finite']} |")
    dcd_cd = base["cd"]["sec_per_step"] / base["dcd"]["sec_per_step"]
    print(f"\n| target | measured | met |\n|---|---|---|")
    print(f"| DCD step >= {TARGETS['dcd_over_cd']:g}x faster than CD-{CD_K} | {dcd_cd:.2f}x | {'yes' if dcd_cd >= TARGETS['dcd_over_cd'] else 'no'} |")
    for r in rows[3:]:
        sp = base["dcd"]["sec_per_step"] / r["sec_per_step"]
        ok = sp >= TARGETS["amp_over_fp32"] and r["finite"]
        print(f"| DCD {r['amp']} >= {TARGETS['amp_over_fp32']:g}x over fp32, no NaN | {sp:.2f}x, finite {r['finite']} | {'yes' if ok else 'no'} |")
    if a.out:
        with open(a.out, "w") as f:
            json.dump(dict(device=str(dev), device_name=dev_name, torch=torch.__version__, settings=cfg, rows=rows), f, indent=1)
    return 0

if __name__ == "__main__": sys.exit(main())
