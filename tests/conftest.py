import os
os.environ.setdefault("OMP_NUM_THREADS", "1")  # 2 cores: one thread per pytest-xdist worker avoids oversubscription
os.environ.setdefault("MPLBACKEND", "Agg")

# Longest first, so that pytest-xdist's two workers finish together (seconds in a clean clone's CI run on the bare 2-core
# machine, --durations=0: 12 97, 13 85, 05 73, 12b 63, 08 49, 11 37, 92 33, 08b 20, 09 19, 91 17, 10 14, 06 14, ...). xdist
# starts each worker with two tests (with --maxschedchunk 1, set below), so the first four are paired to start level:
# 12 + 12b on one worker, 13 + 05 on the other. The order changes only the wall time.
LONGEST_FIRST = ["12_generate", "12b_metrics", "13_cli", "05_dcd", "08_train", "11_denoise", "92_gpu_generate", "08b_scaling",
                 "09_bench2d", "91_gpu_denoise", "10_images", "06_baselines", "14_your_own_problem", "03_cd"]

def pytest_configure(config):
    "xdist's load scheduler sends the first tests in chunks (four per worker here): one at a time keeps the workers level."
    if getattr(config.option, "maxschedchunk", "absent") is None: config.option.maxschedchunk = 1

def pytest_collection_modifyitems(config, items):
    def rank(item):
        nb = item.callspec.params.get("nb") if hasattr(item, "callspec") else None
        stem = getattr(nb, "stem", None)
        return LONGEST_FIRST.index(stem) if stem in LONGEST_FIRST else len(LONGEST_FIRST)
    items.sort(key=rank)   # stable: everything else keeps its order
