"""The seeds protocol shared by the studies: a cell is n runs on n seeds; it is reported as mean ± standard error (n); two
methods that share seeds (same initialisation, data order and noise draws) are compared by their paired difference, whose
standard error comes from the per-seed differences; a claim "holds" only if that difference is more than 2 s.e. from zero.

    from seeds import cell, paired, fmt, verdict
    cell([1.0, 1.2, 0.9])                      # dict(mean, se, n, values)
    d = paired({0: 1.0, 1: 1.2}, {0: 1.1, 1: 1.4})   # a - b on the seeds both have: dict(mean, se, n, seeds)
    fmt(d)                                     # '-0.150 ± 0.050 (2)'
    verdict(d, better="lower")                 # 'holds' / 'does not hold' / 'within noise'
"""
import math

Z = 2.0   # a difference "holds" when it is more than Z standard errors from zero


def cell(values):
    "Mean, standard error (sample sd / √n; None for n < 2) and n of a list of per-seed values (None entries dropped)."
    v = [float(x) for x in values if x is not None]
    n = len(v)
    if n == 0: return dict(mean=None, se=None, n=0, values=[])
    m = sum(v) / n
    se = math.sqrt(sum((x - m) ** 2 for x in v) / (n - 1) / n) if n > 1 and all(math.isfinite(x) for x in v) else None
    return dict(mean=m, se=se, n=n, values=v)


def paired(a, b):
    "a − b on the seeds both have: `a`, `b` map seed -> value; the s.e. is that of the per-seed differences."
    seeds = sorted(s for s in a if s in b and a[s] is not None and b[s] is not None)
    c = cell([a[s] - b[s] for s in seeds])
    return dict(c, seeds=seeds)


def fmt(c, digits=3, n=True):
    "`mean ± s.e. (n)`; the s.e. is '?' when it cannot be estimated (one seed), '∞' marks a non-finite mean."
    if c is None or c["mean"] is None: return "—"
    if not math.isfinite(c["mean"]): return "∞" + (f" ({c['n']})" if n else "")
    se = "?" if c["se"] is None else f"{c['se']:.{digits}f}"
    return f"{c['mean']:.{digits}f} ± {se}" + (f" ({c['n']})" if n else "")


def verdict(d, better="higher", margin=0.):
    """For a difference d = new − reference: 'holds' when it beats `margin` in the `better` direction by more than Z s.e.,
    'does not hold' when it misses `margin` by more than Z s.e. the other way, else 'within noise' (also with n < 2)."""
    if d is None or d["mean"] is None or d["se"] is None: return "within noise"
    x = (d["mean"] - margin) * (1 if better == "higher" else -1)
    if x != x: return "within noise"   # nan: e.g. two diverged runs
    if not math.isfinite(x): return "holds" if x > 0 else "does not hold"
    if x > Z * d["se"]: return "holds"
    if x < -Z * d["se"]: return "does not hold"
    return "within noise"
