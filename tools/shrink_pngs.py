#!/usr/bin/env python
"""Re-encode the PNG figures stored in notebooks to the smallest of: 8-bit grey (exact, or 64 levels: error <= 2/255, for grey
images), or a palette of the fewest colours (16, 24, 32, 48, 64; MAXCOVERAGE) whose pixel error stays small (99.9th
percentile <= 40/255, max <= 80/255).

    python tools/shrink_pngs.py nbs/12_generate.ipynb nbs/92_gpu_generate.ipynb   # rewrites the notebooks in place
"""
import base64, io, json, sys
import numpy as np
from PIL import Image

def shrink(b64):
    raw = base64.b64decode(b64); im = Image.open(io.BytesIO(raw)).convert("RGBA")
    a = np.asarray(im).astype(int); best = raw
    def enc(img): out = io.BytesIO(); img.save(out, format="PNG", optimize=True); return out.getvalue()
    if (a[..., 3] == 255).all() and (a[..., 0] == a[..., 1]).all() and (a[..., 1] == a[..., 2]).all():
        g = a[..., 0].astype(np.uint8)
        c = min((enc(Image.fromarray(g, "L")), enc(Image.fromarray((np.round(g / 255 * 63) * (255 / 63)).round().astype(np.uint8), "L"))), key=len)
        return base64.b64encode(c).decode() if len(c) < len(best) else b64
    rgb = im.convert("RGB"); x = np.asarray(rgb).astype(int)
    for n in (16, 24, 32, 48, 64):
        q = rgb.quantize(colors=n, method=Image.Quantize.MAXCOVERAGE)
        err = np.abs(np.asarray(q.convert("RGB")).astype(int) - x).max(-1)
        if np.percentile(err, 99.9) <= 40 and err.max() <= 80:
            c = enc(q)
            return base64.b64encode(c).decode() if len(c) < len(best) else b64
    return b64

for p in sys.argv[1:]:
    nb = json.load(open(p)); before = sum(len(json.dumps(c)) for c in nb["cells"])
    for c in nb["cells"]:
        for o in c.get("outputs", []):
            d = o.get("data", {})
            if "image/png" in d: d["image/png"] = shrink(d["image/png"].replace("\n", "")) + "\n"
    with open(p, "w") as f: json.dump(nb, f, indent=1, ensure_ascii=False); f.write("\n")
    print(p, before, "->", sum(len(json.dumps(c)) for c in nb["cells"]))
