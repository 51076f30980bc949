#!/usr/bin/env python
"""Browser check of the built docs site (_docs/): serve it on localhost, load pages in headless Chromium (JavaScript on), and fail
if a page is blank, a sidebar link is broken, an API entry is missing, or maths did not render. Saves screenshots.

    python tools/check_site.py [--site _docs] [--shots .cache/site_check]
"""
import argparse, contextlib, functools, http.server, shutil, socket, subprocess, sys, tempfile, threading, urllib.request
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# page -> ids of API sections that must be present (rendered by nbdev's show_doc)
# every other page the sidebar links to is loaded too and must be non-blank with rendered maths
PAGES = {"index.html": [], "core.html": ["set_seed", "get_device", "check_batch"],
         "energy.html": ["gaussianenergy", "mlpenergy", "score"], "cd.html": ["cd_loss"],
         "diffusion.html": ["ve", "vp"], "dcd.html": ["dcd_loss", "gaussian_dcd"]}
SHOTS = ("index.html", "core.html", "dcd.html")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-quic", "--no-first-run", "--disable-sync", "--hide-scrollbars"]

class DOM(HTMLParser):
    "Collects what the checks need from a rendered page: sidebar links, element ids, KaTeX nodes, visible text in <main>."
    def __init__(self):
        super().__init__(); self.sidebar, self.ids, self.katex, self.katex_errors, self.text = [], set(), 0, 0, []
        self._stack = []  # (tag, in_sidebar, in_main)
    def handle_starttag(self, tag, attrs):
        a = dict(attrs); parent = self._stack[-1] if self._stack else (None, False, False)
        sb = parent[1] or a.get("id") == "quarto-sidebar"; mn = parent[2] or tag == "main"
        if a.get("id"): self.ids.add(a["id"])
        if "katex" in (a.get("class") or "").split(): self.katex += 1
        if "katex-error" in (a.get("class") or "").split(): self.katex_errors += 1
        if tag == "a" and sb and a.get("href"): self.sidebar.append(a["href"])
        if tag not in ("br", "img", "meta", "link", "input", "hr", "source", "wbr", "col", "area", "base", "embed", "param", "track"):
            self._stack.append((tag, sb, mn))
    def handle_endtag(self, tag):
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag: del self._stack[i:]; break
    def handle_data(self, data):
        if self._stack and self._stack[-1][2]: self.text.append(data)

def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name): return shutil.which(name)
    sys.exit("check_site: no Chromium found; install Debian's `chromium` package (tools/setup.sh does)")

@contextlib.contextmanager
def serve(site:Path):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args): pass
    handler = functools.partial(Quiet, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try: yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally: httpd.shutdown()

def render(browser, url, profile, shot=None):
    "The DOM after scripts ran (KaTeX renders on load); optionally a screenshot."
    base = [browser, *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=8000"]
    dom = subprocess.run(base + ["--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    if shot: subprocess.run(base + ["--window-size=1280,1000", f"--screenshot={shot}", url], capture_output=True, timeout=120)
    return dom

def check(site:Path, shots:Path)->list[str]:
    errors, browser = [], chromium()
    if not (site/"index.html").exists(): return [f"{site}/index.html does not exist: build the site first (tools/docs.py build)"]
    shots.mkdir(parents=True, exist_ok=True)
    with serve(site) as base, tempfile.TemporaryDirectory() as profile:
        todo, seen = list(PAGES), set()
        while todo:
            page = todo.pop(0)
            if page in seen: continue
            seen.add(page); api = PAGES.get(page, [])
            if not (site/page).exists(): errors.append(f"{page}: missing from the built site"); continue
            dom = DOM(); html = render(browser, base + page, profile, shots/page.replace(".html", ".png") if page in SHOTS else None)
            dom.feed(html)
            todo += [h.split("#")[0] for h in dom.sidebar if h.endswith(".html") or ".html#" in h if not h.startswith(("http:", "https:"))]
            words = len(" ".join(dom.text).split())
            print(f"{page}: {len(html)} bytes of DOM, {words} words in <main>, {len(dom.sidebar)} sidebar links, {dom.katex} KaTeX nodes")
            if words < 50: errors.append(f"{page}: blank page ({words} words of content)")
            if not dom.sidebar: errors.append(f"{page}: no sidebar links")
            for href in dom.sidebar:
                if href.startswith(("http:", "https:", "#", "mailto:")): continue
                try: urllib.request.urlopen(base + href.split("#")[0], timeout=10).read()
                except Exception as e: errors.append(f"{page}: sidebar link {href} is broken ({e})")
            for name in api:
                if name not in dom.ids: errors.append(f"{page}: API section for `{name}` is missing")
            src = (site/page).read_text(encoding="utf-8")
            if dom.katex_errors: errors.append(f"{page}: {dom.katex_errors} equation(s) failed to render (KaTeX errors)")
            if "\\(" in src or "\\[" in src:  # the page has maths: KaTeX must have rendered it
                if dom.katex == 0: errors.append(f"{page}: maths did not render (no KaTeX nodes)")
                if "cdn.jsdelivr.net" in src: errors.append(f"{page}: KaTeX is loaded from a CDN, not from the site")
    return errors

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--site", default=str(ROOT/"_docs")); ap.add_argument("--shots", default=str(ROOT/".cache/site_check"))
    a = ap.parse_args()
    errs = check(Path(a.site), Path(a.shots))
    for e in errs: print("FAIL", e)
    print(f"site check: {'FAILED' if errs else 'passed'}; screenshots in {a.shots}")
    sys.exit(1 if errs else 0)
