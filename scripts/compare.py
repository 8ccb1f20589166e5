#!/usr/bin/env python3
"""Compare mmiobench runs A against runs B and flag regressions.

Each DIR is one results directory (one run: results/<run-id>/). Per
configuration and metric, each run contributes ONE sample: its median over
repetitions (summary.csv `median`); within-run repetitions are correlated
and never pooled across runs.

For every configuration x metric the report gives A and B (mean of the
per-run samples), the relative change (B/A - 1), a two-sided permutation-test
p-value on the difference of means (exact enumeration when the number of
distinct splits is at most --resamples, else --resamples random splits from
a seeded RNG, so the verdict is reproducible), and a verdict.

Direction: *_ns and *_ns_per_req lower is better; *_per_s higher is better.
A configuration is "worse" when p < --p AND |change| > the relative
threshold (--rel, per metric with --rel-metric) AND |B - A| > the absolute
floor (--abs-floor-ns for ns metrics, --abs-floor-per-s for rates). A
REGRESSION is flagged for a family (scenario + kind + metric; its
configurations vary in cpl, queue size, batch, ...) when more than
--family-fraction of its configurations are worse; a one-configuration
family counts by itself. Worse configurations outside such a family are
listed as isolated changes, not regressions. Improvements likewise.

Note: with n runs per side the smallest attainable two-sided p is
2 / C(2n, n) for equal sides: 3+3 runs can never reach p < 0.01; 5+5 can.

Exit status: 0 no regression, 1 regression, 2 unusable input: missing
files, configurations that differ between runs, a run cut short or with
crosscheck FAIL rows, or different platforms in meta.json (same means: same
hypervisor, nested flag and CPU model, TSC kHz within 0.1%). With --setups
the two sides may come from different platforms (e.g. a VMX host against a
PVM host): the report then says it compares setups, not revisions.

--a and --b take several directories each, and may be repeated
(--a r1 --a r2 is --a r1 r2).

Examples:
  compare.py --a results/r1 results/r2 --b results/r3 results/r4 --out cmp/
  compare.py --a A/* --b B/* --rel 0.03 --rel-metric p99_ns=0.10 --out cmp/
"""
import argparse
import itertools
import math
import os
import random
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mmiores  # noqa: E402

EXIT_OK, EXIT_REGRESSION, EXIT_UNUSABLE = 0, 1, 2


# ---------------------------------------------------------------- statistics

def perm_test(a, b, resamples=10000, seed=1):
    """Two-sided permutation test on mean(b) - mean(a).

    Returns (p, method, n_splits): exact enumeration over all C(na+nb, na)
    splits when that is <= resamples (p = share of splits at least as
    extreme, the observed one included), else Monte Carlo with a seeded RNG
    and p = (1 + hits) / (1 + resamples), which never reports 0.
    """
    a, b = list(a), list(b)
    na, nb = len(a), len(b)
    if na == 0 or nb == 0:
        raise ValueError("both sides need at least one sample")
    pooled = a + b
    total = sum(pooled)
    n = na + nb
    obs = abs(sum(b) / nb - sum(a) / na)
    # Rounding must not turn a tie into "less extreme".
    tol = 1e-9 * max(1.0, max(abs(x) for x in pooled))

    def stat(sum_a):
        return abs((total - sum_a) / nb - sum_a / na)

    n_splits = math.comb(n, na)
    if n_splits <= resamples:
        hits = sum(1 for idx in itertools.combinations(range(n), na)
                   if stat(sum(pooled[i] for i in idx)) >= obs - tol)
        return hits / n_splits, "exact", n_splits
    rng = random.Random(seed)
    hits = 0
    for _ in range(resamples):
        sum_a = sum(rng.sample(pooled, na))
        if stat(sum_a) >= obs - tol:
            hits += 1
    return (1 + hits) / (1 + resamples), "monte-carlo", resamples


def min_attainable_p(na, nb):
    """Smallest two-sided exact p: of the C(na+nb, na) splits at least the
    observed one counts, and with na == nb also its mirror image."""
    c = math.comb(na + nb, na)
    return min(1.0, (2 if na == nb else 1) / c)


# ---------------------------------------------------------------- input

def load_side(dirs, label):
    runs = []
    for d in dirs:
        try:
            r = mmiores.Run(d)
            r.meta  # noqa: B018 (presence check)
            values = r.summary_values()
        except mmiores.ResultsError as e:
            raise mmiores.ResultsError(f"side {label}: {e}") from None
        runs.append((r, values))
    return runs


def check_configs(runs_a, runs_b):
    """Every run must hold the same configuration x metric set."""
    ref_run, ref = runs_a[0]
    ref_keys = set(ref)
    problems = []
    for r, values in runs_a[1:] + runs_b:
        keys = set(values)
        if keys == ref_keys:
            continue
        only_ref = sorted(ref_keys - keys)
        only_r = sorted(keys - ref_keys)
        msg = f"{r.path} vs {ref_run.path}:"
        if only_ref:
            msg += f" {len(only_ref)} missing (e.g. {fmt_key(only_ref[0])})"
        if only_r:
            msg += f" {len(only_r)} extra (e.g. {fmt_key(only_r[0])})"
        problems.append(msg)
    return problems


def restrict_to_common(runs_a, runs_b):
    """--common: the runs cut to the configuration x metric set every one of
    them holds (a kind one revision added, a column another dropped), and
    the sorted keys left out."""
    sets = [set(v) for _, v in runs_a + runs_b]
    common = set.intersection(*sets)
    dropped = sorted(set.union(*sets) - common)
    cut = lambda runs: [(r, {k: v[k] for k in v if k in common}) for r, v in runs]  # noqa: E731
    return cut(runs_a), cut(runs_b), dropped


def check_platforms(runs_a, runs_b):
    """[] when every run is on the first run's platform, else one line per
    distinct platform with its runs."""
    groups = []	# [(identity, [side:path])]
    for side, runs in (("A", runs_a), ("B", runs_b)):
        for r, _ in runs:
            ident = mmiores.platform_identity(r.meta)
            for g in groups:
                if mmiores.same_platform(g[0], ident):
                    g[1].append(f"{side}:{r.path}")
                    break
            else:
                groups.append((ident, [f"{side}:{r.path}"]))
    if len(groups) <= 1:
        return []
    return [f"platform {sorted(g[0].items())}: {', '.join(g[1])}" for g in groups]


def fmt_key(key_metric):
    key, metric = key_metric
    d = mmiores.config_dict(key)
    return f"{d['scenario']}/{mmiores.config_label(key)} {metric}"


# ---------------------------------------------------------------- verdicts

def parse_overrides(items, what):
    out = {}
    for it in items or []:
        name, sep, val = it.partition("=")
        if not sep:
            raise SystemExit(f"compare.py: {what} wants METRIC=VALUE, got {it!r}")
        out[name] = float(val)
    return out


def thresholds_for(metric, args, rel_over, floor_over):
    rel = rel_over.get(metric, args.rel)
    if metric in floor_over:
        floor = floor_over[metric]
    elif metric.endswith("_per_s"):
        floor = args.abs_floor_per_s
    else:
        floor = args.abs_floor_ns
    return rel, floor


def compare(runs_a, runs_b, args):
    rel_over = parse_overrides(args.rel_metric, "--rel-metric")
    floor_over = parse_overrides(args.abs_floor_metric, "--abs-floor-metric")
    keys = sorted(runs_a[0][1])
    rows = []
    for key, metric in keys:
        a = [v[(key, metric)] for _, v in runs_a]
        b = [v[(key, metric)] for _, v in runs_b]
        ma, mb = statistics.fmean(a), statistics.fmean(b)
        p, method, _ = perm_test(a, b, args.resamples, args.seed)
        if ma == mb:
            rel = 0.0
        else:
            rel = (mb / ma - 1.0) if ma != 0 else math.copysign(math.inf, mb - ma)
        direction = mmiores.metric_direction(metric)
        rel_thr, floor = thresholds_for(metric, args, rel_over, floor_over)
        significant = p < args.p and abs(rel) > rel_thr and abs(mb - ma) > floor
        worse = significant and (mb - ma) * direction < 0
        better = significant and (mb - ma) * direction > 0
        rows.append(dict(key=key, metric=metric, a=a, b=b, mean_a=ma, mean_b=mb, rel=rel,
                         p=p, method=method, worse=worse, better=better,
                         family=(key[0], key[1], metric)))
    families = {}
    for r in rows:
        families.setdefault(r["family"], []).append(r)
    for fam, members in families.items():
        n = len(members)
        n_worse = sum(r["worse"] for r in members)
        n_better = sum(r["better"] for r in members)
        fam_regress = n_worse > args.family_fraction * n
        fam_improve = n_better > args.family_fraction * n
        for r in members:
            r["family_size"], r["family_worse"], r["family_better"] = n, n_worse, n_better
            if r["worse"]:
                r["verdict"] = "REGRESSION" if fam_regress else "worse (isolated)"
            elif r["better"]:
                r["verdict"] = "improvement" if fam_improve else "better (isolated)"
            else:
                r["verdict"] = "no change"
    return rows, families


# ---------------------------------------------------------------- output

def fmt_num(v):
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    av = abs(v)
    if av >= 1e6:
        return f"{v:.4g}"
    if av >= 100:
        return f"{v:.0f}"
    return f"{v:.3g}"


def write_markdown(rows, families, runs_a, runs_b, args, setups_note, plots, left_out=()):
    na, nb = len(runs_a), len(runs_b)
    regress = sorted({r["family"] for r in rows if r["verdict"] == "REGRESSION"})
    improve = sorted({r["family"] for r in rows if r["verdict"] == "improvement"})
    isolated = [r for r in rows if "isolated" in r["verdict"]]
    out = ["# mmiobench comparison", ""]
    if setups_note:
        out += ["**These are different setups, not revisions** (`--setups`): "
                "absolute differences include the platform.", ""]
        out += [f"- {line}" for line in setups_note] + [""]
    out += [f"- A: {na} run(s): " + ", ".join(r.name for r, _ in runs_a),
            f"- B: {nb} run(s): " + ", ".join(r.name for r, _ in runs_b),
            f"- One sample per run and configuration (that run's median over repetitions); "
            f"permutation test on the difference of means, {args.resamples} resamples "
            f"(seed {args.seed}) or exact enumeration when smaller.",
            f"- Worse/better: p < {args.p}, |change| > {args.rel:.0%} (default), "
            f"|B-A| > {args.abs_floor_ns} ns / {args.abs_floor_per_s} per s; regression when "
            f"more than {args.family_fraction:.0%} of a family (scenario+kind+metric) agrees.",
            ""]
    if left_out:
        out += [f"**Left out** (`--common`): {len(left_out)} configuration x metric(s) not "
                f"held by every run, e.g.:", ""]
        out += [f"- {fmt_key(k)}" for k in left_out[:10]] + [""]
    pmin = min_attainable_p(na, nb)
    if pmin >= args.p:
        out += [f"**Warning:** with {na}+{nb} runs the smallest attainable p is {pmin:.3g} "
                f">= {args.p}: nothing can be flagged. Run more rounds (5+5 or more).", ""]
    verdict = "REGRESSION" if regress else "no regression"
    out += [f"## Verdict: {verdict}", ""]
    for title, fams in (("Regressions", regress), ("Improvements", improve)):
        if fams:
            out.append(f"{title} (family: configurations that agree / total):")
            for f in fams:
                m = families[f]
                k = m[0]["family_worse"] if title == "Regressions" else m[0]["family_better"]
                out.append(f"- {f[0]}/{f[1]} {f[2]}: {k}/{len(m)}")
            out.append("")
    if isolated:
        out.append("Isolated changes (significant in one configuration, not in most of its "
                   "family; not a regression):")
        for r in isolated:
            out.append(f"- {fmt_key((r['key'], r['metric']))}: {r['rel']:+.1%} (p={r['p']:.3g})")
        out.append("")
    out += ["## All configurations", "",
            "| scenario | configuration | metric | A | B | change | p | verdict |",
            "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['key'][0]} | {mmiores.config_label(r['key'])} | {r['metric']} | "
                   f"{fmt_num(r['mean_a'])} | {fmt_num(r['mean_b'])} | {r['rel']:+.1%} | "
                   f"{r['p']:.3g} | {r['verdict']} |")
    out.append("")
    if plots:
        out += ["## Plots", ""]
        for title, fn, ok, msg in plots:
            out.append(f"![{title}]({fn}.png)" if ok else f"- {title}: not drawn ({msg})")
        out.append("")
    return "\n".join(out)


def write_plots(rows, runs_a, runs_b, out_dir):
    """A vs B per metric (values normalised to A's mean, one x slot per
    configuration) and a run-order plot (geometric mean of the normalised
    values per run, in run-id order, which starts with the UTC time)."""
    import gplot
    plots = []
    why = gplot.unavailable()
    metrics = sorted({r["metric"] for r in rows})
    for metric in metrics:
        mrows = [r for r in rows if r["metric"] == metric]
        base = os.path.join(out_dir, f"ab_{metric}")
        title = f"A vs B: {metric}"
        if why:
            plots.append((title, os.path.basename(base), False, why))
            continue
        data = []
        xt = []
        for i, r in enumerate(mrows):
            norm = r["mean_a"] if r["mean_a"] else None  # all-zero A: nothing to scale by
            for j, v in enumerate(r["a"]):
                data.append((i - 0.15 + 0.02 * (j % 5), v / norm if norm else None, 0))
            for j, v in enumerate(r["b"]):
                data.append((i + 0.15 + 0.02 * (j % 5), v / norm if norm else None, 1))
            xt.append(f"{gplot.quote(mmiores.config_label(r['key']))} {i}")
        gplot.write_data(base + ".dat", data)
        body = (f"set title {gplot.quote(title + ' (each point: one run, / mean of A)')}\n"
                f"set ylabel 'B / A'\nset grid y\nset key top left\n"
                f"set xtics rotate by -35 font ',8' ({', '.join(xt)})\n"
                f"set xrange [-0.6:{len(mrows) - 0.4}]\nset bmargin 9\n"
                f"plot {gplot.quote(base + '.dat')} using 1:($3==0?$2:NaN) with points pt 7 "
                f"lc rgb '#1f77b4' title 'A', '' using 1:($3==1?$2:NaN) with points pt 9 "
                f"lc rgb '#d62728' title 'B', 1 with lines dt 2 lc rgb 'gray' notitle")
        ok, msg = gplot.render(body, base, width=max(700, 60 * len(mrows) + 300))
        plots.append((title, os.path.basename(base), ok, msg))
    base = os.path.join(out_dir, "run_order")
    title = "Run order (drift)"
    if why:
        plots.append((title, "run_order", False, why))
        return plots
    runs = [(r.name, "A", v) for r, v in runs_a] + [(r.name, "B", v) for r, v in runs_b]
    runs.sort(key=lambda t: t[0])
    data = []
    for mi, metric in enumerate(metrics):
        mrows = [r for r in rows if r["metric"] == metric]
        for x, (_, side, values) in enumerate(runs):
            logs = [math.log(values[(r["key"], metric)] / r["mean_a"]) for r in mrows
                    if r["mean_a"] > 0 and values[(r["key"], metric)] > 0]
            if logs:
                data.append((x, math.exp(statistics.fmean(logs)), 0 if side == "A" else 1, mi))
    gplot.write_data(base + ".dat", data)
    lines = []
    for mi, metric in enumerate(metrics):
        lines.append(f"{gplot.quote(base + '.dat')} using 1:($4=={mi}?$2:NaN) with linespoints "
                     f"lc {mi + 1} title {gplot.quote(metric)}")
    xt = ", ".join(f"{gplot.quote(side)} {x}" for x, (_, side, _) in enumerate(runs))
    body = (f"set title {gplot.quote('Run order: geometric mean over configurations of value / mean(A)')}\n"
            f"set xlabel 'run (by run-id time)'\nset ylabel 'relative to A'\nset grid y\n"
            f"set xtics ({xt})\nset key outside right\nplot " + ", ".join(lines))
    ok, msg = gplot.render(body, base)
    plots.append((title, "run_order", ok, msg))
    return plots


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--a", nargs="+", action="extend", required=True, metavar="DIR",
                    help="runs of side A (baseline)")
    ap.add_argument("--b", nargs="+", action="extend", required=True, metavar="DIR",
                    help="runs of side B (candidate)")
    ap.add_argument("--out", metavar="DIR", help="write compare.md and plots here "
                    "(without it: the report goes to stdout, no plots)")
    ap.add_argument("--p", type=float, default=0.01, help="p-value threshold (default 0.01)")
    ap.add_argument("--rel", type=float, default=0.05,
                    help="relative change threshold, fraction (default 0.05)")
    ap.add_argument("--rel-metric", action="append", metavar="METRIC=FRAC",
                    help="per-metric relative threshold, e.g. p99_ns=0.10 (repeatable)")
    ap.add_argument("--abs-floor-ns", type=float, default=20.0,
                    help="absolute floor for *_ns metrics, ns (default 20)")
    ap.add_argument("--abs-floor-per-s", type=float, default=0.0,
                    help="absolute floor for *_per_s metrics (default 0: relative threshold only)")
    ap.add_argument("--abs-floor-metric", action="append", metavar="METRIC=VALUE",
                    help="per-metric absolute floor (repeatable)")
    ap.add_argument("--family-fraction", type=float, default=0.5,
                    help="a family regresses when MORE than this share of its configurations "
                         "is worse (default 0.5)")
    ap.add_argument("--resamples", type=int, default=10000, help="permutation resamples (default 10000)")
    ap.add_argument("--seed", type=int, default=1, help="RNG seed (default 1)")
    ap.add_argument("--setups", action="store_true",
                    help="allow different platforms: compare setups, not revisions")
    ap.add_argument("--common", action="store_true",
                    help="compare only the configurations every run holds (e.g. across a "
                         "revision that added a kind), naming those left out")
    ap.add_argument("--quiet", action="store_true", help="print only the verdict line")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        runs_a = load_side(args.a, "A")
        runs_b = load_side(args.b, "B")
    except mmiores.ResultsError as e:
        print(f"compare.py: unusable input: {e}", file=sys.stderr)
        return EXIT_UNUSABLE
    try:
        suspect = [p for r, _ in runs_a + runs_b for p in mmiores.run_problems(r)]
    except mmiores.ResultsError as e:
        suspect = [str(e)]
    if suspect:
        print("compare.py: unusable input: runs whose numbers cannot carry a verdict:",
              file=sys.stderr)
        for p in suspect[:20]:
            print(f"  {p}", file=sys.stderr)
        return EXIT_UNUSABLE
    left_out = []
    if args.common:
        runs_a, runs_b, left_out = restrict_to_common(runs_a, runs_b)
        if left_out:
            print(f"compare.py: --common: left out {len(left_out)} configuration x metric(s) "
                  f"not in every run (e.g. {fmt_key(left_out[0])})", file=sys.stderr)
    problems = check_configs(runs_a, runs_b)
    if problems:
        print("compare.py: unusable input: the runs do not hold the same configurations "
              "x metrics:", file=sys.stderr)
        for p in problems[:20]:
            print(f"  {p}", file=sys.stderr)
        return EXIT_UNUSABLE
    if not runs_a[0][1]:
        print("compare.py: unusable input: summary.csv holds no values", file=sys.stderr)
        return EXIT_UNUSABLE
    platforms = check_platforms(runs_a, runs_b)
    if platforms and not args.setups:
        print("compare.py: unusable input: the runs come from different platforms "
              "(meta.json platform); absolute numbers are not comparable. Use --setups to "
              "compare setups on purpose.", file=sys.stderr)
        for p in platforms:
            print(f"  {p}", file=sys.stderr)
        return EXIT_UNUSABLE
    try:
        rows, families = compare(runs_a, runs_b, args)
    except ValueError as e:
        print(f"compare.py: unusable input: {e}", file=sys.stderr)
        return EXIT_UNUSABLE
    plots = []
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        plots = write_plots(rows, runs_a, runs_b, args.out)
    md = write_markdown(rows, families, runs_a, runs_b, args,
                        platforms if args.setups else None, plots, left_out)
    regressed = any(r["verdict"] == "REGRESSION" for r in rows)
    if args.out:
        tmp = os.path.join(args.out, "compare.md.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(md)
        os.replace(tmp, os.path.join(args.out, "compare.md"))
    if not args.quiet and not args.out:
        print(md)
    n_reg = len({r["family"] for r in rows if r["verdict"] == "REGRESSION"})
    n_imp = len({r["family"] for r in rows if r["verdict"] == "improvement"})
    n_iso = sum("isolated" in r["verdict"] for r in rows)
    print(f"compare: {'REGRESSION' if regressed else 'no regression'}: {n_reg} regressed "
          f"famil{'y' if n_reg == 1 else 'ies'}, {n_imp} improved, {n_iso} isolated change(s)"
          + (f"; report in {os.path.join(args.out, 'compare.md')}" if args.out else ""))
    return EXIT_REGRESSION if regressed else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
