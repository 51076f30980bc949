#!/usr/bin/env python
"""README and documentation site for dcd_nb, with Quarto when it is installed and fully offline when it is not.

    python tools/docs.py readme   # README.md from nbs/index.ipynb (nbdev-processed, rendered to GitHub markdown)
    python tools/docs.py proc     # nbdev's processed notebooks in _proc/ (what both site builders read)
    python tools/docs.py build    # _docs/: `nbdev_docs` if `quarto` is on PATH, else smalldocs (add --offline to force it)
    python tools/docs.py serve    # serve _docs/ on http://127.0.0.1:8000 (--port N)
    python tools/docs.py check    # headless Chromium loads the built pages; fails on blank pages, broken sidebar links,
                                  # missing API entries or unrendered maths (see tools/check_site.py)
"""
import argparse, re, shutil, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KATEX_CDN = "https://cdn.jsdelivr.net/npm/katex@0.16.11/dist"
KATEX_LOCAL = ROOT/".cache/katex/node_modules/katex/dist"

def _cfg():
    from nbdev.config import get_config
    return get_config(path=ROOT)

def proc(quiet=False):
    "nbdev's docs pre-processing without its Quarto installer: nbdev.yml, sidebar.yml, the doc-link index, `_proc/`."
    from nbdev.quarto import refresh_quarto_yml, nbdev_sidebar
    from nbdev.serve import proc_nbs
    import nbdev.doclinks
    cfg = _cfg()
    refresh_quarto_yml()
    nbdev.doclinks._build_modidx()
    nbdev_sidebar.__wrapped__(path=cfg.nbs_path, force=True)
    return proc_nbs(cfg.nbs_path, n_workers=2)

def readme():
    "Write README.md from the processed index notebook (the same processing nbdev_readme applies, without Quarto)."
    from nbdev.quarto import _SidebarYmlRemoved
    from nbdev.serve import proc_nbs
    from nbdev.frontmatter import _fm2dict
    from nbconvert import MarkdownExporter
    import nbformat
    cfg = _cfg()
    with _SidebarYmlRemoved(cfg.nbs_path): cache = proc_nbs(cfg.nbs_path, n_workers=2)
    nb = nbformat.read(cache/cfg.readme_nb, as_version=4)
    fm = {}
    if nb.cells and nb.cells[0].cell_type == 'raw':
        fm = _fm2dict(nb.cells[0].source, nb=False) or {}
        nb.cells = nb.cells[1:]
    nb.metadata.setdefault('language_info', {'name': 'python'})  # fenced code blocks get ```python
    for c in nb.cells:  # `#| echo: false` cells show only their output, as on the site
        if c.cell_type == 'code' and re.match(r'\s*#\|\s*echo:\s*false', c.source): c.metadata.setdefault('transient', {})['remove_source'] = True
    body, _ = MarkdownExporter(exclude_raw=True).from_notebook_node(nb)
    site = f"{cfg.doc_host.rstrip('/')}/{cfg.doc_baseurl.strip('/')}/".replace('//', '/').replace(':/', '://')
    for src in sorted(cfg.nbs_path.glob('*.ipynb')):  # page links, site-relative or to the (unpublished) site -> the notebooks
        page = _page_name(src.stem) + '.html'
        body = re.sub(rf'\]\((?:{re.escape(site)})?{re.escape(page)}(#[^)]*)?\)', f'](nbs/{src.name})', body)
        body = re.sub(rf'\]\({re.escape(src.name)}(#[^)]*)?\)', f'](nbs/{src.name})', body)   # links written to a notebook itself
    head = f"# {fm.get('title', cfg.lib_name)}\n\n" + (f"> {fm['description']}\n\n" if fm.get('description') else "")
    text = head + re.sub(r'\n{3,}', '\n\n', body).strip() + "\n"
    (ROOT/'README.md').write_text(text, encoding='utf-8')
    print("wrote README.md")

def _page_name(nb_name:str)->str:
    "nbdev's page name for a notebook: numeric prefix dropped, lower case (00_core.ipynb -> core)."
    return re.sub(r'^\d+[a-zA-Z0-9]*_', '', nb_name.lower())

def _stage(cache:Path)->Path:
    "Copy `_proc/` to a staging folder whose notebooks carry nbdev's page names, so smalldocs writes core.html, not 00_core.html."
    stage = ROOT/'.cache/site_src'
    if stage.exists(): shutil.rmtree(stage)
    shutil.copytree(cache, stage)
    renames = {}
    for p in sorted(stage.rglob('*.ipynb')):
        new = p.with_name(_page_name(p.name))
        if new != p: p.rename(new); renames[str(p.relative_to(stage))] = str(new.relative_to(stage))
    sb = stage/'sidebar.yml'
    if sb.exists():
        txt = sb.read_text()
        for old, new in renames.items(): txt = re.sub(rf'(?<![\w/.-]){re.escape(old)}\b', new, txt)
        sb.write_text(txt)
    (stage/'nbdev.yml').write_text((stage/'nbdev.yml').read_text().replace('output-dir: _docs', 'output-dir: _site'))
    return stage

def _rewrite_pages(site:Path, old:str, new:str):
    "In every page of `site`, replace `old` by `new`, whose `{up}` becomes the page's relative path back to the site root."
    for page in site.rglob('*.html'):
        html = page.read_text(encoding='utf-8')
        if old not in html: continue
        up = '../' * (len(page.relative_to(site).parts) - 1)
        page.write_text(html.replace(old, new.format(up=up)), encoding='utf-8')

def _localise_links(site:Path, site_url:str):
    "Point nbdev's absolute doc links (site-url + page) at the pages of this build, so the local site is self-contained."
    _rewrite_pages(site, f'href="{site_url.rstrip("/")}/', 'href="{up}')

def _localise_katex(site:Path):
    "Serve KaTeX from the site itself so maths renders without a network."
    if not (KATEX_LOCAL/'katex.min.js').exists():
        print(f"warning: no local KaTeX at {KATEX_LOCAL} (run tools/setup.sh); maths will load from the CDN"); return
    shutil.copytree(KATEX_LOCAL, site/'site_libs/katex', dirs_exist_ok=True)
    _rewrite_pages(site, KATEX_CDN, '{up}site_libs/katex')

def build(offline=False):
    cfg = _cfg()
    if shutil.which('quarto') and not offline:
        subprocess.run([str(Path(sys.executable).parent/'nbdev_docs')], cwd=ROOT, check=True); return
    stage = _stage(proc())
    from smalldocs.site import build as sd_build
    site = sd_build(str(stage), quiet=True)
    out = ROOT/cfg.doc_path.name
    if out.exists(): shutil.rmtree(out)
    shutil.move(str(stage/'_site'), str(out))
    shutil.copytree(ROOT/'benchmarks/results', out/'benchmarks/results')  # the pages link the results and show their figures
    for w in site.warnings:
        if not (w.split('broken link ', 1)[-1] != w and (out/w.split('broken link ', 1)[-1]).exists()): print(f"smalldocs warning: {w}")
    _localise_katex(out)
    _localise_links(out, cfg.doc_host + cfg.doc_baseurl)
    _rewrite_pages(out, 'src="../benchmarks/', 'src="{up}benchmarks/')   # a notebook's ![](../benchmarks/...) figure, from the site's copy
    print(f"built {out} ({sum(1 for _ in out.rglob('*.html'))} pages) with smalldocs")

def serve(port=8000):
    out = ROOT/_cfg().doc_path.name
    print(f"serving {out} at http://127.0.0.1:{port}/")
    subprocess.run([sys.executable, '-m', 'http.server', str(port), '--bind', '127.0.0.1', '--directory', str(out)])

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('cmd', choices=['readme', 'proc', 'build', 'serve', 'check'])
    ap.add_argument('--offline', action='store_true', help='build with smalldocs even if quarto is installed')
    ap.add_argument('--port', type=int, default=8000)
    a = ap.parse_args()
    if a.cmd == 'readme': readme()
    elif a.cmd == 'proc': print(proc())
    elif a.cmd == 'build': build(a.offline)
    elif a.cmd == 'serve': serve(a.port)
    else: sys.exit(subprocess.run([sys.executable, str(ROOT/'tools/check_site.py')]).returncode)
