import os
os.environ.setdefault("OMP_NUM_THREADS", "1")  # 2 cores: one thread per pytest-xdist worker avoids oversubscription
os.environ.setdefault("MPLBACKEND", "Agg")

# Longest first, so that pytest-xdist's two workers finish together (seconds in a clean clone's CI run on the 2-core machine,
# cold caches, before this order: 12 117, 13 133 -> ~85 after its DDP check moved to 2D, 05 77, 12b 76 -> ~60, 11 54, 08 52,
# 08b 70 -> ~43 after its compile check moved to aot_eager, 09 42, 92 41, 91 24, ...). xdist starts each worker with two
# tests (with --maxschedchunk 1, set below), so the first four are paired to start level: 12 + 12b on one worker, 13 + 05
# on the other. The order changes only the wall time.
LONGEST_FIRST = ["12_generate", "12b_metrics", "13_cli", "05_dcd", "11_denoise", "08_train", "08b_scaling", "09_bench2d",
                 "92_gpu_generate", "91_gpu_denoise", "06_baselines", "10_images", "14_your_own_problem", "03_cd"]

def pytest_configure(config):
    "xdist's load scheduler sends the first tests in chunks (four per worker here): one at a time keeps the workers level."
    if getattr(config.option, "maxschedchunk", "absent") is None: config.option.maxschedchunk = 1

def pytest_collection_modifyitems(config, items):
    def rank(item):
        nb = item.callspec.params.get("nb") if hasattr(item, "callspec") else None
        stem = getattr(nb, "stem", None)
        return LONGEST_FIRST.index(stem) if stem in LONGEST_FIRST else len(LONGEST_FIRST)
    items.sort(key=rank)   # stable: everything else keeps its order
