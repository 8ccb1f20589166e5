#!/usr/bin/env python3
"""scripts/ab.py end to end on a throwaway git repo whose "benchmark" writes
SYNTHETIC results (tests/py/synth.py) scaled by a file in the revision."""
import contextlib
import io
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import ab  # noqa: E402
import ktap  # noqa: E402

FAKE_BENCH = """\
import os, sys, time
sys.path.insert(0, {here!r})
import synth
factor = float(open("factor.txt").read())
root = sys.argv[1]
run_id = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + str(os.getpid())
synth.write_run(os.path.join(root, run_id), seed=os.getpid() ^ int(time.time_ns() % 65536),
                noise=0.005, factor=lambda cfg, m: factor)
"""

ENV = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
           GIT_COMMITTER_EMAIL="t@t")


def git(repo, *args):
    subprocess.run(["git", "-C", repo, *args], check=True, env=ENV, capture_output=True)


def make_repo(tmp):
    repo = os.path.join(tmp, "repo")
    os.makedirs(repo)
    git(repo, "init", "-q", "-b", "main")
    with open(os.path.join(repo, "bench.py"), "w") as f:
        f.write(FAKE_BENCH.format(here=HERE))
    for tag, factor in (("fast", "1.0"), ("slow", "1.2")):
        with open(os.path.join(repo, "factor.txt"), "w") as f:
            f.write(factor)
        git(repo, "add", "bench.py", "factor.txt")
        git(repo, "commit", "-q", "-m", tag)
        git(repo, "tag", tag)
    return repo


def run_ab(repo, tmp, a, b, rounds, max_rounds):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = ab.main(["--repo", repo, "--work", os.path.join(tmp, "work"), "--a", a, "--b", b,
                      "--rounds", str(rounds), "--max-rounds", str(max_rounds),
                      "--build-cmd", "true", "--bench-cmd", f"{sys.executable} bench.py {{out}}",
                      "--out", os.path.join(tmp, f"out-{a}-{b}")])
    return rc, out.getvalue()


def slower_b_is_a_regression_after_more_rounds():
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_repo(tmp)
        rc, out = run_ab(repo, tmp, "fast", "slow", 5, 6)
        assert rc == 1, out[-3000:]
        assert "running up to 6 before the verdict" in out, out[-3000:]
        assert "verdict after 6 rounds: REGRESSION" in out, out[-3000:]
        # interleaving A B B A ...
        order = [ln.split()[2][0] for ln in out.splitlines() if ln.startswith("ab: run ")
                 and ": (cd" in ln]
        assert "".join(order[:8]) == "ABBAABBA", order
        assert os.path.exists(os.path.join(tmp, "out-fast-slow", "compare.md"))


def a_a_is_clean():
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_repo(tmp)
        rc, out = run_ab(repo, tmp, "fast", "fast", 5, 6)
        assert rc == 0, out[-3000:]
        assert "A/A" in out and "verdict after 5 rounds: no regression" in out, out[-2000:]
        assert os.path.isdir(os.path.join(tmp, "work"))
        with contextlib.redirect_stdout(io.StringIO()):
            rc = ab.main(["--repo", repo, "--work", os.path.join(tmp, "work"), "--a", "fast",
                          "--b", "fast", "--rounds", "1", "--max-rounds", "1", "--clean",
                          "--build-cmd", "true", "--bench-cmd",
                          f"{sys.executable} bench.py {{out}}"])
        assert rc == 0, rc
        wts = subprocess.run(["git", "-C", repo, "worktree", "list"], capture_output=True,
                             text=True).stdout
        assert "wt-" not in wts, wts


def failing_run_is_unusable():
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_repo(tmp)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = ab.main(["--repo", repo, "--work", os.path.join(tmp, "work"), "--a", "fast",
                          "--b", "slow", "--build-cmd", "true", "--bench-cmd", "exit 3"])
        assert rc == 2 and "failed (exit 3)" in out.getvalue(), out.getvalue()
        rc = ab.main(["--repo", repo, "--a", "nosuchrev", "--b", "slow"])
        assert rc == 2


if __name__ == "__main__":
    sys.exit(ktap.run([slower_b_is_a_regression_after_more_rounds, a_a_is_clean,
                       failing_run_is_unusable]))
