#!/usr/bin/env python3
"""A/B benchmark two git revisions of mmiobench on this host.

  ab.py --a REV --b REV [--rounds N] [--max-rounds M] [--out DIR] [-- COMPARE_ARGS...]

Builds each revision in its own git worktree (WORK/wt-<commit>, default
WORK = build/ab), then runs the sweep interleaved A B B A A B ... for N
rounds (one run per side per round), so slow drift of the host (thermal,
other tenants) hits both sides alike. Each run's results directory is one
sample for scripts/compare.py (arguments after `--` go to it). When compare
flags a regression, more rounds are run - up to --max-rounds in total -
and the verdict is taken again on all runs: a regression must survive more
data before it fails anything.

An A/A run (--a X --b X) measures the false-positive rate: it must stay clean.
Worktrees stay in WORK for reuse; --clean removes them (after `make clean`
deleted them by hand, `git worktree prune` forgets them).

Exit status is compare.py's: 0 no regression, 1 regression, 2 unusable
(also: a build or a benchmark run failed - that is not a verdict).

--build-cmd and --bench-cmd are run by the shell in the worktree; {out} in
--bench-cmd is replaced by the results root of that run (one fresh
directory per run, the run's results/<run-id>/ appears inside it).
"""
import argparse
import os
import shlex
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BUILD = "make -j2 build/mmiobench"
DEFAULT_BENCH = "build/mmiobench sweep --quick --no-plots --out {out}"


def log(msg, logf=None):
    line = f"ab: {msg}"
    print(line, flush=True)
    if logf:
        logf.write(line + "\n")
        logf.flush()


def git(repo, *args):
    p = subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {p.stderr.strip()}")
    return p.stdout.strip()


def resolve(repo, rev):
    return git(repo, "rev-parse", "--verify", f"{rev}^{{commit}}")


def worktree(repo, work, commit, logf):
    """A detached worktree at commit, reused when it already is there."""
    path = os.path.join(work, f"wt-{commit[:12]}")
    if os.path.isdir(path):
        try:
            if git(path, "rev-parse", "HEAD") == commit:
                return path
        except RuntimeError:
            pass
        log(f"{path} is stale, recreating", logf)
        subprocess.run(["git", "-C", repo, "worktree", "remove", "--force", path],
                       capture_output=True)
        shutil.rmtree(path, ignore_errors=True)
    os.makedirs(work, exist_ok=True)
    git(repo, "worktree", "add", "--detach", path, commit)
    return path


def run_shell(cmd, cwd, logf, what):
    log(f"{what}: (cd {cwd} && {cmd})", logf)
    start = time.monotonic()
    p = subprocess.run(cmd, shell=True, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, errors="replace")
    if logf:
        logf.write(p.stdout)
    if p.returncode != 0:
        tail = "\n".join(p.stdout.splitlines()[-20:])
        raise RuntimeError(f"{what} failed (exit {p.returncode}) after "
                           f"{time.monotonic() - start:.0f} s:\n{tail}")
    return time.monotonic() - start


def one_run(side, wt, runs_root, index, bench_cmd, logf):
    """Runs the benchmark once; returns the new results directory."""
    root = os.path.join(runs_root, f"{side}-{index:03d}")
    os.makedirs(root, exist_ok=True)
    before = set(os.listdir(root))
    cmd = bench_cmd.replace("{out}", shlex.quote(root))
    secs = run_shell(cmd, wt, logf, f"run {side}{index}")
    new = [d for d in sorted(set(os.listdir(root)) - before)
           if d != "latest" and os.path.isdir(os.path.join(root, d))]
    if len(new) != 1:
        raise RuntimeError(f"run {side}{index}: expected one new results directory in "
                           f"{root}, found {new}")
    log(f"run {side}{index}: {new[0]} in {secs:.0f} s", logf)
    return os.path.join(root, new[0])


def compare(a_dirs, b_dirs, out, extra, logf):
    cmd = [sys.executable, os.path.join(HERE, "compare.py"), "--a", *a_dirs, "--b", *b_dirs,
           "--out", out, *extra]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log(p.stdout.strip(), logf)
    return p.returncode


def parse_args(argv):
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    else:
        extra = []
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--a", required=True, metavar="REV", help="baseline revision")
    ap.add_argument("--b", required=True, metavar="REV", help="candidate revision")
    ap.add_argument("--rounds", type=int, default=5,
                    help="rounds (one A and one B run each) before the first verdict "
                         "(default 5; fewer than 5 can never reach p < 0.01)")
    ap.add_argument("--max-rounds", type=int, default=10,
                    help="upper bound on rounds when re-running after a flagged regression "
                         "(default 10)")
    ap.add_argument("--repo", default=None, help="git repository (default: the one holding this script)")
    ap.add_argument("--work", default=None, help="worktrees and runs (default REPO/build/ab)")
    ap.add_argument("--out", default=None, help="compare.md, plots, ab.log (default WORK/out-<a>-<b>)")
    ap.add_argument("--build-cmd", default=DEFAULT_BUILD, help=f"default: {DEFAULT_BUILD}")
    ap.add_argument("--bench-cmd", default=DEFAULT_BENCH, help=f"default: {DEFAULT_BENCH}")
    ap.add_argument("--clean", action="store_true",
                    help="remove the worktrees at the end (default: keep them, so the next "
                         "A/B of the same commits skips the build)")
    args = ap.parse_args(argv)
    args.compare_args = extra
    if args.rounds < 1 or args.max_rounds < args.rounds:
        ap.error("need 1 <= --rounds <= --max-rounds")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    repo = args.repo or os.path.dirname(HERE)
    try:
        repo = git(repo, "rev-parse", "--show-toplevel")
        ca, cb = resolve(repo, args.a), resolve(repo, args.b)
    except RuntimeError as e:
        print(f"ab: {e}", file=sys.stderr)
        return 2
    work = os.path.abspath(args.work or os.path.join(repo, "build", "ab"))
    out = os.path.abspath(args.out or os.path.join(work, f"out-{ca[:8]}-{cb[:8]}"))
    os.makedirs(out, exist_ok=True)
    runs_root = os.path.join(work, "runs", f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
                             f"-{ca[:8]}-{cb[:8]}")
    with open(os.path.join(out, "ab.log"), "w", encoding="utf-8") as logf:
        log(f"A = {args.a} = {ca}", logf)
        log(f"B = {args.b} = {cb}" + ("  (A/A: same commit both sides)" if ca == cb else ""), logf)
        wts = {}
        try:
            for side, commit in (("A", ca), ("B", cb)):
                if commit in wts.values():
                    wts[side] = wts["A"]
                    continue
                wts[side] = worktree(repo, work, commit, logf)
                run_shell(args.build_cmd, wts[side], logf, f"build {side}")
            dirs = {"A": [], "B": []}
            done = 0
            target = args.rounds
            rc = 2
            while True:
                while done < target:
                    order = ("A", "B") if done % 2 == 0 else ("B", "A")  # A B B A ...
                    for side in order:
                        dirs[side].append(one_run(side, wts[side], runs_root,
                                                  len(dirs[side]), args.bench_cmd, logf))
                    done += 1
                rc = compare(dirs["A"], dirs["B"], out, args.compare_args, logf)
                if rc != 1 or done >= args.max_rounds:
                    break
                target = min(args.max_rounds, done + args.rounds)
                log(f"regression flagged after {done} rounds: running up to {target} "
                    "before the verdict", logf)
        except RuntimeError as e:
            log(f"unusable: {e}", logf)
            return 2
        finally:
            if args.clean:
                for path in set(wts.values()):
                    subprocess.run(["git", "-C", repo, "worktree", "remove", "--force", path],
                                   capture_output=True)
        verdict = {0: "no regression", 1: "REGRESSION", 2: "unusable input"}.get(rc, f"exit {rc}")
        log(f"verdict after {done} rounds: {verdict}; report {os.path.join(out, 'compare.md')}",
            logf)
        return rc


if __name__ == "__main__":
    sys.exit(main())
