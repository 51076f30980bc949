"""Training budgets in CPU seconds for the benchmarks: `use_cpu_clock()` makes `fit`'s `time_limit` count this process's CPU
time (one thread) instead of wall-clock time, so runs sharing a busy machine get the same compute; on an idle machine the two
agree."""
import contextlib, time
import dcd_nb.train

class CPUClock:
    "`fit`'s clock with perf_counter replaced by this process's CPU time."
    perf_counter = staticmethod(time.process_time)
    def __getattr__(self, name): return getattr(time, name)

def use_cpu_clock():
    "From now on, `fit` in this process measures CPU seconds."
    dcd_nb.train.time = CPUClock()

@contextlib.contextmanager
def cpu_clock(on:bool=True):
    "`fit` measures CPU seconds inside the block (wall-clock ones with on=False), and its own clock comes back after it, so that a caller in the same process (a notebook) is not left with the CPU clock."
    clock = dcd_nb.train.time
    if on: use_cpu_clock()
    try: yield
    finally: dcd_nb.train.time = clock
