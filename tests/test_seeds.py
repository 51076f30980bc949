"The seeds protocol of the benchmarks (benchmarks/seeds.py): numbers against numpy and a hand-computed example."
import math, os, sys
import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks"))
import seeds as S


def test_cell_hand_example():
    # values 1, 2, 4: mean 7/3, sample variance ((4/3)² + (1/3)² + (5/3)²)/2 = 21/9, s.e. = sqrt(21/9 / 3) = sqrt(7)/3
    c = S.cell([1., 2., 4.])
    assert c["n"] == 3 and c["mean"] == pytest.approx(7 / 3)
    assert c["se"] == pytest.approx(math.sqrt(7) / 3)
    # the population s.d. (a common slip) would give sqrt(14/9/3); the test tells the two apart
    assert abs(c["se"] - math.sqrt(14 / 27)) > 0.1


def test_cell_against_numpy():
    v = np.random.default_rng(0).normal(size=7)
    c = S.cell(list(v) + [None])   # None entries (missing seeds) are dropped
    assert c["n"] == 7
    assert c["mean"] == pytest.approx(v.mean()) and c["se"] == pytest.approx(v.std(ddof=1) / math.sqrt(7))
    assert S.cell([3.])["se"] is None and S.cell([])["mean"] is None


def test_paired_uses_per_seed_differences():
    a = {0: 10.0, 1: 11.0, 2: 12.0, 3: 99.0}   # seed 3 only in a: not paired
    b = {0: 9.5, 1: 10.4, 2: 11.6}
    d = S.paired(a, b)
    diffs = np.array([0.5, 0.6, 0.4])
    assert d["seeds"] == [0, 1, 2] and d["n"] == 3
    assert d["mean"] == pytest.approx(0.5) and d["se"] == pytest.approx(diffs.std(ddof=1) / math.sqrt(3))
    # unpaired, the seed-to-seed spread (1.0 per seed) would swamp the difference: pairing is what makes it visible
    assert S.cell(list(a.values())[:3])["se"] > 5 * d["se"]


def test_verdict_and_format():
    d = dict(mean=0.5, se=0.1, n=3)
    assert S.verdict(d, better="higher") == "holds" and S.verdict(d, better="lower") == "does not hold"
    assert S.verdict(dict(mean=0.15, se=0.1, n=3)) == "within noise"          # 1.5 s.e.
    assert S.verdict(dict(mean=-0.25, se=0.1, n=3), margin=-0.3) == "within noise"   # a margin: -0.25 vs -0.3
    assert S.verdict(dict(mean=0.5, se=None, n=1)) == "within noise"            # one seed proves nothing
    assert S.fmt(dict(mean=1.23456, se=0.0123, n=3)) == "1.235 ± 0.012 (3)"
    assert S.fmt(dict(mean=1.0, se=None, n=1), digits=2) == "1.00 ± ? (1)"
