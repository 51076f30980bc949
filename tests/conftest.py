import os
os.environ.setdefault("OMP_NUM_THREADS", "1")  # 2 cores: one thread per pytest-xdist worker avoids oversubscription
os.environ.setdefault("MPLBACKEND", "Agg")
