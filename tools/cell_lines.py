"""Code cells longer than a limit, per notebook: the house style keeps every cell to one idea and at most 40 lines.

Usage: python tools/cell_lines.py [--over L] [--check] [NOTEBOOK ...]   (default: every notebook under nbs/)
Prints one row per cell over the limit (notebook, cell index, cell id, lines) and a count per notebook; with --check the
exit status is 1 when any cell is over the limit, so the script can guard a set of notebooks in CI."""
import json, sys, pathlib, argparse

def long_cells(path, over=40):
    "(index, id, lines) of each code cell of the notebook at `path` with more than `over` source lines."
    cells = json.loads(pathlib.Path(path).read_text())["cells"]
    rows = [(i, c.get("id", ""), len("".join(c["source"]).splitlines())) for i, c in enumerate(cells) if c["cell_type"] == "code"]
    return [r for r in rows if r[2] > over]

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*"); ap.add_argument("--over", type=int, default=40); ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    root = pathlib.Path(__file__).resolve().parents[1]
    nbs = [pathlib.Path(p) for p in a.notebooks] or sorted(p for p in (root / "nbs").glob("*.ipynb") if not p.name.startswith("_"))
    total = 0
    print(f"| notebook | cells over {a.over} lines (index, id: lines) |\n|---|---|")
    for p in nbs:
        rows = long_cells(p, a.over); total += len(rows)
        print(f"| {p.name} | {len(rows)}" + (": " + ", ".join(f"{i} {cid}: {n}" for i, cid, n in rows) if rows else "") + " |")
    print(f"\n{total} cell(s) over {a.over} lines")
    sys.exit(1 if a.check and total else 0)
