#!/usr/bin/env python3
"""scripts/compare.py: permutation test and verdicts on SYNTHETIC result sets."""
import contextlib
import io
import itertools
import math
import os
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import compare  # noqa: E402
import ktap  # noqa: E402
import synth  # noqa: E402


def run_compare(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = compare.main(argv)
    return rc, out.getvalue(), err.getvalue()


def brute_force_p(a, b):
    pooled = a + b
    obs = abs(statistics.fmean(b) - statistics.fmean(a))
    hits = total = 0
    for idx in itertools.combinations(range(len(pooled)), len(a)):
        aa = [pooled[i] for i in idx]
        bb = [pooled[i] for i in range(len(pooled)) if i not in idx]
        total += 1
        hits += abs(statistics.fmean(bb) - statistics.fmean(aa)) >= obs - 1e-12
    return hits / total


def perm_exact_small_cases():
    # Fully separated 3+3: only the observed split and its mirror are as extreme.
    p, method, n = compare.perm_test([1, 2, 3], [4, 5, 6])
    assert method == "exact" and n == 20 and math.isclose(p, 2 / 20), (p, method, n)
    # Identical samples: every split ties -> p = 1.
    p, _, _ = compare.perm_test([5, 5, 5], [5, 5, 5])
    assert p == 1.0, p
    # 5+5 fully separated reaches below 0.01 (2/252).
    p, _, n = compare.perm_test([1, 2, 3, 4, 5], [10, 11, 12, 13, 14])
    assert n == 252 and math.isclose(p, 2 / 252), p
    for a, b in (([1.0, 3.0, 2.5], [2.0, 4.0]), ([10, 12, 11, 15], [13, 14, 9, 16]),
                 ([0.1, 0.2], [0.15, 0.3, 0.05, 0.4])):
        p, method, _ = compare.perm_test(a, b)
        assert method == "exact" and math.isclose(p, brute_force_p(a, b)), (a, b, p)


def perm_monte_carlo_reproducible():
    a = [100 + i % 7 for i in range(12)]
    b = [103 + i % 5 for i in range(12)]     # C(24,12) = 2.7M splits: Monte Carlo
    p1, m1, _ = compare.perm_test(a, b, resamples=2000, seed=7)
    p2, _, _ = compare.perm_test(a, b, resamples=2000, seed=7)
    p3, _, _ = compare.perm_test(a, b, resamples=2000, seed=8)
    assert m1 == "monte-carlo" and p1 == p2, (p1, p2)
    assert p1 > 0 and abs(p1 - p3) < 0.05, (p1, p3)   # same answer within MC error
    # exact check of the MC estimate on a case small enough for both
    a, b = [1, 4, 2, 8, 5, 7], [3, 9, 6, 10, 12, 11]
    exact, _, _ = compare.perm_test(a, b, resamples=10000)
    mc, _, _ = compare.perm_test(a, b, resamples=900, seed=3)  # 924 splits > 900
    assert abs(exact - mc) < 0.03, (exact, mc)


def min_p_warning():
    assert compare.min_attainable_p(3, 3) >= 0.01
    assert compare.min_attainable_p(5, 5) < 0.01


def _sides(tmp, factor_b, n=5, noise=0.005, **kw):
    a = synth.write_side(os.path.join(tmp, "A"), "a", n, 100, noise=noise, **kw)
    b = synth.write_side(os.path.join(tmp, "B"), "b", n, 200, noise=noise, factor=factor_b, **kw)
    return a, b


def regression_everywhere():
    with tempfile.TemporaryDirectory() as tmp:
        a, b = _sides(tmp, lambda cfg, m: 1.2)  # every number 20% larger
        out = os.path.join(tmp, "cmp")
        rc, so, se = run_compare(["--a", *a, "--b", *b, "--out", out])
        assert rc == 1, (rc, so, se)
        md = open(os.path.join(out, "compare.md")).read()
        assert "## Verdict: REGRESSION" in md
        assert "exit/mmio_write_trapped p50_ns" in md
        # requests_per_s 20% *lower* is a regression too (higher is better)
        assert "notify/throughput requests_per_s" in md.split("Improvements")[0]


def repeated_side_flags_accumulate():
    args = compare.parse_args(["--a", "x", "--a", "y", "z", "--b", "w"])
    assert args.a == ["x", "y", "z"] and args.b == ["w"], args


def noise_only_is_clean():
    with tempfile.TemporaryDirectory() as tmp:
        a, b = _sides(tmp, lambda cfg, m: 1.0, noise=0.01)  # within ~2%
        rc, so, se = run_compare(["--a", *a, "--b", *b])
        assert rc == 0, (rc, so[-2000:], se)
        assert "no regression" in so


def improvement_reported():
    with tempfile.TemporaryDirectory() as tmp:
        a, b = _sides(tmp, lambda cfg, m: 0.8 if cfg["scenario"] == "exit" else 1.0)
        rc, so, _ = run_compare(["--a", *a, "--b", *b])
        assert rc == 0, rc
        assert "Improvements" in so and "exit/cpuid p50_ns" in so, so[:3000]


def single_config_change_is_isolated():
    def f(cfg, m):
        hit = (cfg["scenario"] == "notify" and cfg["notify"] == "ioeventfd" and
               cfg["queue_size"] == "256" and cfg["completion"] == "poll")
        return 1.2 if hit else 1.0
    with tempfile.TemporaryDirectory() as tmp:
        a, b = _sides(tmp, f)
        rc, so, se = run_compare(["--a", *a, "--b", *b])
        assert rc == 0, (rc, se)
        assert "Isolated changes" in so, so[:3000]
        iso = so.split("Isolated changes")[1].split("## All")[0]
        assert "qs=256" in iso and "ioeventfd" in iso, iso


def single_config_family_counts():
    # exit/cpuid at CPL0 only 20% slower: family {cpuid x p50_ns} has 2 configs
    # (cpl 0, 3): 1/2 is not "more than half" -> isolated; with
    # --family-fraction 0.4 it is a regression.
    f = lambda cfg, m: 1.2 if cfg["kind"] == "cpuid" and cfg["cpl"] == "0" else 1.0  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp:
        a, b = _sides(tmp, f)
        rc, _, _ = run_compare(["--a", *a, "--b", *b])
        assert rc == 0, rc
        rc, so, _ = run_compare(["--a", *a, "--b", *b, "--family-fraction", "0.4"])
        assert rc == 1, (rc, so[:2000])


def thresholds_respected():
    # 3% slower everywhere: significant but under the 5% threshold -> clean;
    # with --rel 0.01 it is a regression.
    with tempfile.TemporaryDirectory() as tmp:
        a, b = _sides(tmp, lambda cfg, m: 1.03, noise=0.002)
        rc, _, _ = run_compare(["--a", *a, "--b", *b])
        assert rc == 0, rc
        rc, _, _ = run_compare(["--a", *a, "--b", *b, "--rel", "0.01"])
        assert rc == 1, rc
        # the absolute floor: 3% of ~1 ns (CPL3 empty loop) must never count
        rc, so, _ = run_compare(["--a", *a, "--b", *b, "--rel", "0.01"])
        line = [ln for ln in so.splitlines() if "| empty_loop cpl=3 | p50_ns" in ln][0]
        assert "no change" in line, line


def too_few_runs_warns():
    with tempfile.TemporaryDirectory() as tmp:
        a, b = _sides(tmp, lambda cfg, m: 1.5, n=3)
        rc, so, _ = run_compare(["--a", *a, "--b", *b])
        assert rc == 0 and "smallest attainable p" in so, (rc, so[:1500])


def mismatched_configs_exit_2():
    with tempfile.TemporaryDirectory() as tmp:
        a = synth.write_side(os.path.join(tmp, "A"), "a", 5, 1)
        b = synth.write_side(os.path.join(tmp, "B"), "b", 5, 9,
                             drop=lambda cfg: cfg["queue_size"] == "4096")
        rc, _, se = run_compare(["--a", *a, "--b", *b])
        assert rc == 2 and "same configurations" in se and "missing" in se, (rc, se)


def common_compares_the_shared_configs():
    """A kind only B has (a revision added it): --common compares the rest
    and names what it left out."""
    with tempfile.TemporaryDirectory() as tmp:
        a = synth.write_side(os.path.join(tmp, "A"), "a", 5, 1,
                             drop=lambda cfg: cfg["kind"].startswith("raw_"))
        b = synth.write_side(os.path.join(tmp, "B"), "b", 5, 9)
        out = os.path.join(tmp, "out")
        rc, so, se = run_compare(["--a", *a, "--b", *b, "--common", "--out", out])
        raw_keys = 5 * 2 * 3    # raw kinds x CPLs x latency metrics
        assert rc == 0 and f"left out {raw_keys} configuration" in se, (rc, se)
        md = open(os.path.join(out, "compare.md")).read()
        assert "**Left out** (`--common`)" in md and "raw_" in md and "no regression" in md, md[:800]


def missing_file_exit_2():
    with tempfile.TemporaryDirectory() as tmp:
        a, b = _sides(tmp, lambda cfg, m: 1.0, n=2)
        os.unlink(os.path.join(b[1], "summary.csv"))
        rc, _, se = run_compare(["--a", *a, "--b", *b])
        assert rc == 2 and "summary.csv: missing" in se, (rc, se)
        rc, _, se = run_compare(["--a", *a, "--b", os.path.join(tmp, "nope")])
        assert rc == 2 and "not a directory" in se, (rc, se)


def platforms_differ_exit_2_unless_setups():
    vmx = dict(synth.PLATFORM, hypervisor="VMX", nested=False, cpu_model="Intel Xeon (synthetic)")
    with tempfile.TemporaryDirectory() as tmp:
        a = synth.write_side(os.path.join(tmp, "A"), "a", 5, 1)
        b = synth.write_side(os.path.join(tmp, "B"), "b", 5, 9, platform=vmx)
        rc, _, se = run_compare(["--a", *a, "--b", *b])
        assert rc == 2 and "different platforms" in se, (rc, se)
        rc, so, _ = run_compare(["--a", *a, "--b", *b, "--setups"])
        assert rc in (0, 1) and "different setups, not revisions" in so, (rc, so[:1000])


def tsc_recalibration_is_same_platform():
    near = dict(synth.PLATFORM, tsc_khz=synth.PLATFORM["tsc_khz"] + 300)  # 0.01%
    with tempfile.TemporaryDirectory() as tmp:
        a = synth.write_side(os.path.join(tmp, "A"), "a", 5, 1)
        b = synth.write_side(os.path.join(tmp, "B"), "b", 5, 9, platform=near)
        rc, _, se = run_compare(["--a", *a, "--b", *b])
        assert rc == 0, (rc, se)


def suspect_runs_exit_2():
    with tempfile.TemporaryDirectory() as tmp:
        a = synth.write_side(os.path.join(tmp, "A"), "a", 5, 1)
        b = synth.write_side(os.path.join(tmp, "B"), "b", 5, 9, crosscheck_fail=True)
        rc, _, se = run_compare(["--a", *a, "--b", *b])
        assert rc == 2 and "crosscheck FAIL" in se, (rc, se)
        c = synth.write_side(os.path.join(tmp, "C"), "c", 5, 9, cut_short="SIGINT")
        rc, _, se = run_compare(["--a", *a, "--b", *c])
        assert rc == 2 and "cut short: SIGINT" in se, (rc, se)


def compare_plots():
    from gplot import unavailable
    why = unavailable()
    if why:
        raise ktap.Skip(why)
    with tempfile.TemporaryDirectory() as tmp:
        a, b = _sides(tmp, lambda cfg, m: 1.1, n=5)
        out = os.path.join(tmp, "cmp")
        rc, so, se = run_compare(["--a", *a, "--b", *b, "--out", out])
        assert rc in (0, 1), (rc, se)
        for f in ("ab_p50_ns.png", "ab_p50_ns.svg", "run_order.png", "run_order.svg"):
            assert os.path.getsize(os.path.join(out, f)) > 1000, f
        assert "![Run order (drift)](run_order.png)" in open(os.path.join(out, "compare.md")).read()


if __name__ == "__main__":
    sys.exit(ktap.run([
        perm_exact_small_cases, perm_monte_carlo_reproducible, min_p_warning,
        regression_everywhere, repeated_side_flags_accumulate, noise_only_is_clean, improvement_reported,
        single_config_change_is_isolated, single_config_family_counts, thresholds_respected,
        too_few_runs_warns, mismatched_configs_exit_2, common_compares_the_shared_configs,
        missing_file_exit_2,
        platforms_differ_exit_2_unless_setups, tsc_recalibration_is_same_platform,
        suspect_runs_exit_2, compare_plots,
    ]))
