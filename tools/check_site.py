#!/usr/bin/env python
"""Browser check of the built docs site (_docs/): serve it on localhost, load pages in headless Chromium (JavaScript on), and fail
if a page is blank, a sidebar link is broken, an API entry is missing, or maths did not render. Saves screenshots.

The pages in PAGES are rendered by Chromium (one launch each, the screenshot in the same launch); every other page the sidebar
links to is read as served (static HTML: non-blank, sidebar, links) and must load the site's own KaTeX, the script whose
rendering the browser pages prove. One browser launch costs a few CPU seconds, so rendering all 20 pages would cost more
than the rest of the docs check.

    python tools/check_site.py [--site _docs] [--shots .cache/site_check]
"""
import argparse, contextlib, functools, html as htmllib, http.server, json, re, shutil, subprocess, sys, tempfile, threading, urllib.parse, urllib.request
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
        super().__init__(); self.sidebar, self.ids, self.katex, self.katex_errors, self.text, self.imgs = [], set(), 0, 0, [], []
        self._stack = []  # (tag, in_sidebar, in_main)
    def handle_starttag(self, tag, attrs):
        a = dict(attrs); parent = self._stack[-1] if self._stack else (None, False, False)
        sb = parent[1] or a.get("id") == "quarto-sidebar"; mn = parent[2] or tag == "main"
        if a.get("id"): self.ids.add(a["id"])
        if "katex" in (a.get("class") or "").split(): self.katex += 1
        if "katex-error" in (a.get("class") or "").split(): self.katex_errors += 1
        if tag == "a" and sb and a.get("href"): self.sidebar.append(a["href"])
        if tag == "img" and a.get("src") and not a["src"].startswith(("data:", "http:", "https:")): self.imgs.append(a["src"])
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
    "The DOM after scripts ran (KaTeX renders on load); optionally a screenshot, taken by the same launch."
    cmd = [browser, *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=8000", "--dump-dom"]
    if shot: cmd += ["--window-size=1280,1000", f"--screenshot={shot}"]
    return subprocess.run(cmd + [url], capture_output=True, text=True, timeout=120).stdout

MATH = re.compile(r'<span class="math (inline|display)">(.*?)</span>', re.S)
KATEX_PARSE = """const k = require(process.argv[1]); const items = JSON.parse(require('fs').readFileSync(0, 'utf8')); const bad = [];
for (const [page, tex, display] of items) { try { k.renderToString(tex, {displayMode: display, throwOnError: true}); }
  catch (e) { bad.push(page + ': ' + e.message.split('\\n')[0]); } }
console.log(JSON.stringify(bad));"""

def katex_errors(site:Path, pages)->list[str]:
    "Every equation of every page parsed by the site's own KaTeX under node, errors thrown: the pages the browser did not render too."
    items = [[p, htmllib.unescape(m[1]).strip()[2:-2], m[0] == "display"] for p in pages for m in MATH.findall((site/p).read_text(encoding="utf-8"))]
    if not shutil.which("node"): print(f"(node not found: the {len(items)} equations were not parsed offline)"); return []
    r = subprocess.run(["node", "-e", KATEX_PARSE, str(site/"site_libs"/"katex"/"katex.min.js")], input=json.dumps(items), capture_output=True, text=True, timeout=120)
    if r.returncode: return [f"KaTeX parse under node failed: {r.stderr.strip()[-300:]}"]
    print(f"KaTeX parsed {len(items)} equations of {len(pages)} pages offline"); return json.loads(r.stdout)

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
            in_browser = page in PAGES
            html = (render(browser, base + page, profile, shots/page.replace(".html", ".png") if page in SHOTS else None) if in_browser
                    else urllib.request.urlopen(base + page, timeout=10).read().decode("utf-8"))
            dom = DOM(); dom.feed(html)
            todo += [h.split("#")[0] for h in dom.sidebar if h.endswith(".html") or ".html#" in h if not h.startswith(("http:", "https:"))]
            words = len(" ".join(dom.text).split())
            print(f"{page}: {len(html)} bytes of {'DOM' if in_browser else 'HTML as served'}, {words} words in <main>, {len(dom.sidebar)} sidebar links"
                  + (f", {dom.katex} KaTeX nodes" if in_browser else ""))
            if words < 50: errors.append(f"{page}: blank page ({words} words of content)")
            if not dom.sidebar: errors.append(f"{page}: no sidebar links")
            for href in dom.sidebar:
                if href.startswith(("http:", "https:", "#", "mailto:")): continue
                try: urllib.request.urlopen(base + href.split("#")[0], timeout=10).read()
                except Exception as e: errors.append(f"{page}: sidebar link {href} is broken ({e})")
            for src in dom.imgs:   # figures stored as files (not inside the notebook) must be on the site
                try: urllib.request.urlopen(urllib.parse.urljoin(base + page, src), timeout=10).read()
                except Exception as e: errors.append(f"{page}: image {src} does not load ({e})")
            for name in api:
                if name not in dom.ids: errors.append(f"{page}: API section for `{name}` is missing")
            src = (site/page).read_text(encoding="utf-8")
            if dom.katex_errors: errors.append(f"{page}: {dom.katex_errors} equation(s) failed to render (KaTeX errors)")
            if "\\(" in src or "\\[" in src:  # the page has maths: KaTeX must have rendered it (or, read as served, be loaded)
                if in_browser and dom.katex == 0: errors.append(f"{page}: maths did not render (no KaTeX nodes)")
                if not in_browser and 'src="site_libs/katex/katex.min.js"' not in src: errors.append(f"{page}: has maths but does not load the site's KaTeX")
                if "cdn.jsdelivr.net" in src: errors.append(f"{page}: KaTeX is loaded from a CDN, not from the site")
    return errors + katex_errors(site, sorted(p for p in seen if (site/p).exists()))

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--site", default=str(ROOT/"_docs")); ap.add_argument("--shots", default=str(ROOT/".cache/site_check"))
    a = ap.parse_args()
    errs = check(Path(a.site), Path(a.shots))
    for e in errs: print("FAIL", e)
    print(f"site check: {'FAILED' if errs else 'passed'}; screenshots in {a.shots}")
    sys.exit(1 if errs else 0)
