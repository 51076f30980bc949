"""The GPU configuration of 92_gpu_generate, measured: `dcd_train generate` on Fashion-MNIST for DCD, DSM and CD, the same
wall-clock time each on one GPU, with the CPU recipe of bench_images.py scaled (FULL below: only width, batch and budget change),
then scored on any machine (one thread) by the protocol of bench_images.py (the domain classifier and Inception against the first 5,000 test
images, the held-out denoising loss per noise level of the EMA weights).

    python benchmarks/bench_gpu_generate.py run --out runs/bench_gpu     # on a CUDA machine: train, sample, pack DIR/fm-<method>.tar
    python benchmarks/bench_gpu_generate.py score --out runs/bench_gpu   # anywhere: results/images/gpu/<method>.json, samples, 8x8 grid
    python benchmarks/bench_gpu_generate.py run --methods dcd --batch-size 512 --out runs/bench_gpu_b512    # a lever: the batch
    python benchmarks/bench_gpu_generate.py score --methods dcd --out runs/bench_gpu_b512 --tag _b512      # results/images/gpu/dcd_b512.json

`run` needs only torch, numpy, matplotlib, pillow, tqdm and fastcore beside this repository (no Inception weights: FID is computed
by `score`). Each method's folder is packed with its EMA weights alone (not the optimiser state) so that it travels small.
"""
import argparse, io, json, os, sys, tarfile, time
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
OUT_DIR = os.path.join(HERE, "results", "images", "gpu")
METHODS = ("dcd", "dsm", "cd")
# The CPU recipe (bench_images.RECIPE: 28x28, TimeUNetEnergy, log-uniform sigma on [0.01, 20], Adam 2e-3, clip 1, EMA 0.999, DCD's
# unadjusted antithetic pair, CD-5, Heun with 18 levels) with width 32 instead of 16, batch 128 instead of 64, and a wall-clock budget
# per method instead of 1,800 CPU-seconds; full precision (the network is small enough that bf16 buys little, and DCD's loss is a
# difference of energies).
FULL = dict(ch=32, batch_size=128, time_limit=150, steps=1_000_000, n_samples=1000, fid_ref=5000, amp=None, seed=0)

def generate_args(method, out, cfg=FULL, device="cuda"):
    "The `dcd_train generate` arguments of one method under `cfg`: the command's image defaults (the recipe), scaled."
    a = ["generate", "--dataset", "fashion-mnist", "--method", method, "--ch", str(cfg["ch"]), "--batch-size", str(cfg["batch_size"]),
         "--steps", str(cfg["steps"]), "--time-limit", str(cfg["time_limit"]), "--n-samples", str(cfg["n_samples"]),
         "--fid-ref", str(cfg["fid_ref"]), "--device", device, "--seed", str(cfg["seed"]), "--force", "--no-progress", "--out", out]
    return a + (["--amp", cfg["amp"]] if cfg.get("amp") else []) + (["--sample-steps", str(cfg["sample_steps"])] if cfg.get("sample_steps") else [])

def pack(folder, dest):
    "A tar of the run folder with the checkpoint replaced by its EMA weights and history (ema.pt)."
    ck = torch.load(os.path.join(folder, "checkpoint.pt"), map_location="cpu", weights_only=False)
    b = io.BytesIO(); torch.save(dict(ema=ck["ema"], energy=ck["energy"], history=ck["history"], step=ck["step"]), b)
    with tarfile.open(dest, "w") as t:
        for f in sorted(os.listdir(folder)):
            if f != "checkpoint.pt": t.add(os.path.join(folder, f), arcname=f)
        ti = tarfile.TarInfo("ema.pt"); ti.size = b.tell(); b.seek(0); t.addfile(ti, b)

def run(out, methods, cfg=FULL, device="cuda"):
    "Train, sample and pack each method in turn (the first failure stops the rest)."
    from dcd_nb.cli import main
    os.makedirs(out, exist_ok=True)
    for m in methods:
        t0 = time.perf_counter(); folder = os.path.join(out, f"fm-{m}")
        rc = main(generate_args(m, folder, cfg, device))
        print(f"{m}: exit code {rc}, {time.perf_counter() - t0:.0f} s", flush=True)
        if rc: return rc
        pack(folder, os.path.join(out, f"fm-{m}.tar"))
    return 0

def _command(method, out, run_settings, tag):
    "The two commands that reproduce a scored run: `run` with the flags where its settings differ from FULL, then `score`."
    extra = "".join(f" --{k.replace('_', '-')} {run_settings[k]:g}" for k in ("time_limit", "batch_size") if run_settings[k] != FULL[k])
    return (f"python benchmarks/bench_gpu_generate.py run --methods {method} --out {out}{extra} && "
            f"python benchmarks/bench_gpu_generate.py score --methods {method} --out {out}" + (f" --tag {tag}" if tag else ""))

def score(out, methods, tag=""):
    "Score each packed run by bench_images' protocol; write results/images/gpu/<method><tag>.json, <method><tag>_samples.pt and the grid."
    import bench_images as B
    from dcd_nb.core import machine_info, write_atomic
    from dcd_nb.images import TimeUNetEnergy, fashion_mnist
    from dcd_nb.metrics import load_classifier, classifier_outputs, classifier_scores, N_REF
    torch.set_num_threads(1)
    clf = load_classifier(); f_ref = classifier_outputs(fashion_mnist("test").tensors[0][:N_REF], clf)[0]
    os.makedirs(OUT_DIR, exist_ok=True)
    for m in methods:
        with tarfile.open(os.path.join(out, f"fm-{m}.tar")) as t:
            get = lambda f: io.BytesIO(t.extractfile(f).read())
            metrics, settings = json.load(get("metrics.json")), json.load(get("settings.json"))
            x = torch.load(get("samples.pt")); s = torch.load(get("ema.pt"), weights_only=False)
        E = TimeUNetEnergy(**s["energy"]["hparams"]); E.load_state_dict(s["ema"]); E.eval().requires_grad_(False)
        x01 = x.float() / 255
        res = dict(method=m, settings=settings, run=metrics, steps=metrics["steps"], images_seen=metrics["steps"] * settings["batch_size"],
                   classifier=classifier_scores(x01, f_ref, clf), heldout_dsm=dict(sigmas=B.CURVE_SIGMAS, loss=B.heldout_dsm(E)),
                   scored_on=machine_info(), command=_command(m, out, metrics["settings"], tag))
        res.update(B.inception_scores(x01, 0))
        torch.save(x, os.path.join(OUT_DIR, f"{m}{tag}_samples.pt"))
        B.save_grid(x01, os.path.join(OUT_DIR, f"{m}{tag}_grid.png"))   # 92 shows it at 3x
        write_atomic(os.path.join(OUT_DIR, f"{m}{tag}.json"), lambda tmp: json.dump(res, open(tmp, "w"), indent=1))
        c = res["classifier"]
        print(f"{m}: {res['steps']} steps, {res['images_seen']:,} images; classes {c['classes']}, confidence {c['mean_conf']}, "
              f"Frechet {c['frechet']}; FID {res['fid']}, KID {res['kid']} ± {res['kid_std']}", flush=True)

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("what", choices=("run", "score"))
    p.add_argument("--out", default="runs/bench_gpu", help="the runs' folder (default runs/bench_gpu)")
    p.add_argument("--methods", nargs="*", default=list(METHODS), choices=METHODS)
    p.add_argument("--time-limit", type=float, default=None, help=f"run: seconds of training per method (default {FULL['time_limit']})")
    p.add_argument("--device", default="cuda", help="run: the training device (default cuda; cpu only to check the pipeline)")
    p.add_argument("--batch-size", type=int, default=None, help=f"run: a lever, the batch (default {FULL['batch_size']})")
    p.add_argument("--tag", default="", help="score: a lever's suffix of the result names, e.g. _b512 (its runs in their own --out)")
    a = p.parse_args(argv)
    if a.what == "score": return score(a.out, a.methods, a.tag)
    cfg = dict(FULL, **{k: v for k, v in dict(time_limit=a.time_limit, batch_size=a.batch_size).items() if v is not None})
    return run(a.out, a.methods, cfg, a.device)

if __name__ == "__main__": sys.exit(main())
