"""Training budgets in CPU seconds for the benchmarks: `use_cpu_clock()` makes `fit`'s `time_limit` count this process's CPU
time (one thread) instead of wall-clock time, so runs sharing a busy machine get the same compute; on an idle machine the two
agree."""
import time
import dcd_nb.train

class CPUClock:
    "`fit`'s clock with perf_counter replaced by this process's CPU time."
    perf_counter = staticmethod(time.process_time)
    def __getattr__(self, name): return getattr(time, name)

def use_cpu_clock():
    "From now on, `fit` in this process measures CPU seconds."
    dcd_nb.train.time = CPUClock()
