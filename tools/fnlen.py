"""Function-length table of the package: every function and method in dcd_nb/*.py, longest first.

Usage: python tools/fnlen.py [--top N] [--over L] [DIR]
Length counts the lines from `def` to the function's last line (decorators excluded), as `ast` reports them; `body` counts
from the first statement after the docstring (the house style documents each parameter on its own signature line)."""
import ast, sys, pathlib, argparse

def lengths(root):
    "(lines, parameters, 'module.qualname', body lines) for every function in the .py files under `root` (generated _modidx excluded)."
    rows = []
    for p in sorted(pathlib.Path(root).glob("*.py")):
        if p.name.startswith("_"): continue
        tree = ast.parse(p.read_text())
        def walk(node, prefix):
            for ch in ast.iter_child_nodes(node):
                if isinstance(ch, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    a = ch.args; n = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) + bool(a.vararg) + bool(a.kwarg)
                    b = ch.body[1:] if len(ch.body) > 1 and isinstance(ch.body[0], ast.Expr) and isinstance(ch.body[0].value, ast.Constant) else ch.body
                    rows.append((ch.end_lineno - ch.lineno + 1, n, f"{p.stem}.{prefix}{ch.name}", ch.end_lineno - b[0].lineno + 1))
                    walk(ch, f"{prefix}{ch.name}.")
                elif isinstance(ch, ast.ClassDef): walk(ch, f"{prefix}{ch.name}.")
        walk(tree, "")
    return sorted(rows, reverse=True)

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", nargs="?", default="dcd_nb"); ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--over", type=int, default=40)
    a = ap.parse_args(); rows = lengths(a.root)
    print("| lines | body | params | function |\n|---:|---:|---:|---|")
    for n, k, name, body in rows[:a.top]: print(f"| {n} | {body} | {k} | `{name}` |")
    print(f"\n{len(rows)} functions; {sum(r[0] > a.over for r in rows)} over {a.over} lines "
          f"({sum(r[3] > a.over for r in rows)} with bodies over {a.over}); longest {rows[0][0]} lines")
