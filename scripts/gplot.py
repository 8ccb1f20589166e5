"""Run gnuplot once per output format (PNG and SVG). Standard library only.

A plot is a gnuplot body (no `set terminal`/`set output`) plus data files it
reads by name; render() writes <out_base>.png and <out_base>.svg. Missing
gnuplot is a reason string, never an exception: callers skip with a note.
"""
import functools
import os
import shutil
import subprocess


@functools.lru_cache(maxsize=1)
def png_terminal():
    """'pngcairo' when available (antialiased), else 'png' (libgd)."""
    if not shutil.which("gnuplot"):
        return None
    try:
        p = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True,
                           text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = p.stdout + p.stderr
    return "pngcairo" if "pngcairo" in text else "png"


def unavailable():
    """None if gnuplot can plot here, else why not."""
    return None if png_terminal() else "gnuplot not found (install gnuplot-nox)"


def quote(s):
    """A gnuplot string literal."""
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_data(path, rows):
    """Whitespace-separated columns; strings quoted; None -> NaN (skipped)."""
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            if row is None:
                f.write("\n\n")	# index separator
                continue
            cells = []
            for v in row:
                if v is None:
                    cells.append("NaN")
                elif isinstance(v, str):
                    cells.append(quote(v))
                else:
                    cells.append(repr(float(v)))
            f.write(" ".join(cells) + "\n")


def render(body, out_base, width=900, height=540):
    """Writes out_base.png and out_base.svg. Returns (ok, message)."""
    why = unavailable()
    if why:
        return False, why
    os.makedirs(os.path.dirname(out_base) or ".", exist_ok=True)
    terms = [(f"{png_terminal()} size {width},{height}"
              + (" font 'sans,10'" if png_terminal() == "pngcairo" else ""), ".png"),
             (f"svg size {width},{height} dynamic font 'sans,10'", ".svg")]
    for term, ext in terms:
        # noenhanced: names like p50_ns must not turn into subscripts.
        script = (f"set terminal {term} noenhanced\nset output {quote(out_base + ext)}\n"
                  f"{body}\nunset output\n")
        gp = out_base + ext + ".gp"
        with open(gp, "w", encoding="utf-8") as f:
            f.write(script)
        p = subprocess.run(["gnuplot", gp], capture_output=True, text=True, timeout=120)
        os.unlink(gp)
        if p.returncode != 0:
            return False, f"gnuplot failed for {os.path.basename(out_base + ext)}: {p.stderr.strip()[:500]}"
    return True, "ok"
