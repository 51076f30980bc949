import os
os.environ.setdefault("OMP_NUM_THREADS", "1")  # 2 cores: one thread per pytest-xdist worker avoids oversubscription
os.environ.setdefault("MPLBACKEND", "Agg")

# Longest first, so that pytest-xdist's two workers finish together (seconds of one quiet 2-core run, --durations=0):
# the order changes nothing but the wall time.
LONGEST_FIRST = ["13_cli", "12_generate", "12b_metrics", "05_dcd", "08_train", "11_denoise", "92_gpu_generate", "09_bench2d",
                 "91_gpu_denoise", "08b_scaling", "06_baselines", "10_images", "14_your_own_problem", "03_cd"]

def pytest_collection_modifyitems(config, items):
    def rank(item):
        nb = item.callspec.params.get("nb") if hasattr(item, "callspec") else None
        stem = getattr(nb, "stem", None)
        return LONGEST_FIRST.index(stem) if stem in LONGEST_FIRST else len(LONGEST_FIRST)
    items.sort(key=rank)   # stable: everything else keeps its order
