#!/usr/bin/python3
"""ringside-report: turn RESULTS_DIR/results.json (+ matrix.json) into report.md, report.html and PNGs.

    /usr/bin/python3 reports/ringside_report.py RESULTS_DIR [--out DIR]

Exit codes: 0 ok, 2 bad input (missing file, wrong schema, malformed values),
3 python3-matplotlib / python3-numpy missing.
"""
import argparse
import os
import sys

sys.dont_write_bytecode = True  # run from a checkout: leave no __pycache__ behind in reports/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import document  # noqa: E402
import render  # noqa: E402
from model import BadInput, load_inputs  # noqa: E402

PROG = "ringside-report"
MISSING_MPL = (f"{PROG}: python3-matplotlib is missing: "
               "apt-get install -y python3-matplotlib python3-numpy")
EXIT_OK, EXIT_BAD_INPUT, EXIT_NO_MATPLOTLIB = 0, 2, 3


class MissingPlotting(Exception):
    """matplotlib or numpy cannot be imported."""


def parse_args(argv):
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    ap.add_argument("results_dir", metavar="RESULTS_DIR",
                    help="directory holding results.json (and optionally matrix.json)")
    ap.add_argument("--out", metavar="DIR", help="where to write report.md, report.html and PNGs "
                    "(default: RESULTS_DIR)")
    ap.add_argument("--debug", action="store_true", help="show a traceback instead of a one-line error")
    return ap.parse_args(argv)


def generate(results_dir, out_dir):
    """Write the report; returns the list of files written. Raises BadInput / ImportError."""
    results, matrix = load_inputs(results_dir)
    # Build the text once without plots first: it formats every number, so malformed
    # values are reported as bad input before anything is written.
    document.build(results, matrix, [])
    try:
        import plots  # deferred: an ImportError here means matplotlib/numpy are missing
    except ImportError as e:
        raise MissingPlotting(str(e)) from e
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as e:
        raise BadInput(f"{out_dir}: cannot create output directory ({e.strerror})") from None
    images = plots.make_all(results, matrix, out_dir)
    title, blocks = document.build(results, matrix, images)
    written = []
    for name, text in (("report.md", render.to_markdown(blocks)),
                       ("report.html", render.to_html(blocks, title))):
        path = os.path.join(out_dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        written.append(path)
    return written + [os.path.join(out_dir, name) for name, _ in images]


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    out_dir = args.out or args.results_dir
    try:
        written = generate(args.results_dir, out_dir)
    except BadInput as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except MissingPlotting:
        if args.debug:
            raise
        print(MISSING_MPL, file=sys.stderr)
        return EXIT_NO_MATPLOTLIB
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as e:
        if args.debug:
            raise
        print(f"{PROG}: cannot render {os.path.join(args.results_dir, 'results.json')} "
              f"({type(e).__name__}: {e}); malformed input? rerun with --debug", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{PROG}: wrote {written[0]}, {written[1]} and {len(written) - 2} plots")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
