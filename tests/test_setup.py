"""The set-up's apt step (tools/setup.sh, step 1) on a bare machine, without touching the real one.

`DCD_SETUP_ONLY=apt` runs step 1 alone. PATH holds only stubs: `id` reports the user, `dpkg` and `chromium` say what is
installed, `apt-get` records each command line and the DEBIAN_FRONTEND it saw, and `sudo` records its arguments and, as
the real one does by default (env_reset), runs the command with a cleared environment. The script must not die, and must
issue exactly the apt-get commands a root user, a sudo user, or a user with neither needs."""
import os, shutil, subprocess
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
SETUP = ROOT/"tools"/"setup.sh"
BASH = shutil.which("bash") or "/bin/bash"

def _stub(d:Path, name:str, body:str):
    (d/name).write_text(f"#!{BASH}\n{body}\n"); (d/name).chmod(0o755)

def run_apt_step(tmp_path, uid=0, sudo=True, apt=True, chromium=False, fmnist=False):
    "Run step 1 of tools/setup.sh with stubs; return (completed process, apt-get lines, sudo lines)."
    bin_, log = tmp_path/"bin", tmp_path/"log"
    bin_.mkdir(); log.mkdir()
    for tool in ("dirname", "env"): os.symlink(shutil.which(tool), bin_/tool)  # real tools the script calls
    _stub(bin_, "id", f'[ "$1" = -u ] && echo {uid} || echo "uid={uid}"')
    _stub(bin_, "dpkg", f"exit {0 if fmnist else 1}")
    if chromium: _stub(bin_, "chromium", "exit 0")
    if apt: _stub(bin_, "apt-get", f'echo "DEBIAN_FRONTEND=${{DEBIAN_FRONTEND:-}} apt-get $*" >> {log}/apt-get')
    if sudo: _stub(bin_, "sudo", f'echo "sudo $*" >> {log}/sudo; exec {bin_}/env -i PATH="$PATH" "$@"')
    r = subprocess.run([BASH, str(SETUP)], env={"PATH": str(bin_), "DCD_SETUP_ONLY": "apt", "HOME": str(tmp_path)},
                       capture_output=True, text=True, timeout=60)
    lines = lambda f: (log/f).read_text().splitlines() if (log/f).exists() else []
    return r, lines("apt-get"), lines("sudo")

UPDATE = "DEBIAN_FRONTEND= apt-get update -qq"
INSTALL = "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium dataset-fashion-mnist"

def test_root_calls_apt_get_directly(tmp_path):
    r, apt, sudo = run_apt_step(tmp_path, uid=0, sudo=False)  # a bare container: root, no sudo installed
    assert r.returncode == 0, r.stderr
    assert apt == [UPDATE, INSTALL] and sudo == []
    assert "apt step done" in r.stdout

def test_root_with_sudo_installed_still_calls_apt_get_directly(tmp_path):
    r, apt, sudo = run_apt_step(tmp_path, uid=0, sudo=True)
    assert r.returncode == 0, r.stderr
    assert apt == [UPDATE, INSTALL] and sudo == []

def test_user_with_sudo_goes_through_sudo_and_keeps_debian_frontend(tmp_path):
    r, apt, sudo = run_apt_step(tmp_path, uid=1000, sudo=True)
    assert r.returncode == 0, r.stderr
    assert sudo == ["sudo apt-get update -qq",
                    "sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium dataset-fashion-mnist"]
    assert apt == [UPDATE, INSTALL]  # the variable survives sudo's cleared environment

def test_user_without_sudo_is_told_and_setup_goes_on(tmp_path):
    r, apt, sudo = run_apt_step(tmp_path, uid=1000, sudo=False)
    assert r.returncode == 0, r.stderr
    assert apt == [] and "cannot install chromium dataset-fashion-mnist: not root and no sudo" in r.stdout
    assert "apt step done" in r.stdout

def test_no_apt_get_is_told_and_setup_goes_on(tmp_path):
    r, apt, sudo = run_apt_step(tmp_path, uid=0, apt=False)
    assert r.returncode == 0, r.stderr
    assert "cannot install chromium dataset-fashion-mnist: no apt-get" in r.stdout

@pytest.mark.parametrize("chromium,fmnist,pkgs", [(True, False, "dataset-fashion-mnist"), (False, True, "chromium"), (True, True, None)])
def test_installs_only_what_is_missing(tmp_path, chromium, fmnist, pkgs):
    r, apt, sudo = run_apt_step(tmp_path, uid=0, chromium=chromium, fmnist=fmnist)
    assert r.returncode == 0, r.stderr
    want = [] if pkgs is None else [UPDATE, f"DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends {pkgs}"]
    assert apt == want
