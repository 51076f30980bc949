import os
os.environ.setdefault("OMP_NUM_THREADS", "1")  # 2 cores: one thread per pytest-xdist worker avoids oversubscription
os.environ.setdefault("MPLBACKEND", "Agg")

# Longest first, so that pytest-xdist's two workers finish together (seconds of one quiet 2-core run, --durations=0: 13 96,
# 05 59, 12 98, 12b 65, 11 50, 08 40, 92 38, 09 31, ...). xdist starts each worker with two tests (with --maxschedchunk 1, set
# below), so the first four are paired to start level: 13 + 05 on one worker, 12 + 12b on the other. The order changes only
# the wall time.
LONGEST_FIRST = ["13_cli", "05_dcd", "12_generate", "12b_metrics", "11_denoise", "08_train", "92_gpu_generate", "09_bench2d",
                 "91_gpu_denoise", "08b_scaling", "06_baselines", "10_images", "14_your_own_problem", "03_cd"]

def pytest_configure(config):
    "xdist's load scheduler sends the first tests in chunks (four per worker here): one at a time keeps the workers level."
    if getattr(config.option, "maxschedchunk", "absent") is None: config.option.maxschedchunk = 1

def pytest_collection_modifyitems(config, items):
    def rank(item):
        nb = item.callspec.params.get("nb") if hasattr(item, "callspec") else None
        stem = getattr(nb, "stem", None)
        return LONGEST_FIRST.index(stem) if stem in LONGEST_FIRST else len(LONGEST_FIRST)
    items.sort(key=rank)   # stable: everything else keeps its order
