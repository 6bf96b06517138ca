"""The README's quick start, walked as a new user walks it: a fresh clone in a temporary folder (the two commands'
set-up cached: the virtualenv and node_modules of this checkout), `make demo` to a healthy API, then the README's
"with the demo running" block as written: one documented API call with a printed key, a second script on the
demo's chain (`pilotkit run`), one replay. Ctrl-C stops everything and the clone stays clean."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from _readme_blocks import REPO, runnable_blocks


def _fresh_clone(target: Path) -> Path:
    """`git clone` of this checkout; uncommitted edits to tracked files are carried over as one commit."""
    subprocess.run(["git", "clone", "-q", str(REPO), str(target)], check=True)
    changed = subprocess.run(["git", "ls-files", "-m", "-o", "--exclude-standard"], cwd=REPO, check=True,
                             capture_output=True, text=True).stdout.split()
    for name in changed:
        if (REPO / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, target / name)
    if changed:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "wip", "--allow-empty"],
                       cwd=target, check=True)
        subprocess.run(["git", "add", "-A"], cwd=target, check=True)
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "new files",
                        "--allow-empty"], cwd=target, check=True)
    # the set-up is cached: this checkout's .venv and node_modules, older inputs than their install stamps
    for cached in (".venv", "node_modules"):
        (target / cached).symlink_to(REPO / cached)
    with (target / ".git" / "info" / "exclude").open("a") as exclude:
        exclude.write(".venv\nnode_modules\n")  # symlinks, which the directory patterns of .gitignore do not match
    for name in ("pyproject.toml", "package.json", "package-lock.json"):
        os.utime(target / name, (0, 0))
    if (REPO / "build").is_dir():  # the compiled contracts too (a compile of the whole tree costs a minute)
        shutil.copytree(REPO / "build", target / "build", ignore=shutil.ignore_patterns("pilot-reports", "*-reports"))
    return target


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_readme_quick_start_works_from_a_fresh_clone(tmp_path: Path) -> None:
    clone = _fresh_clone(tmp_path / "pilotkit")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTKIT_API_")}
    env["PYTHONPATH"] = f"{clone}{os.pathsep}{clone / 'backend'}"  # the clone's code, not this checkout's
    env["PATH"] = f"{clone / '.venv' / 'bin'}{os.pathsep}{env['PATH']}"  # `. .venv/bin/activate`
    demo = subprocess.Popen(["make", "demo", f"DEMO_ARGS=--port {port}"], cwd=clone, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    lines: list[str] = []
    try:
        assert demo.stdout is not None
        deadline = time.monotonic() + 300
        while not any(line.startswith("  (demo keys") for line in lines):
            assert time.monotonic() < deadline and demo.poll() is None, "".join(lines)
            lines.append(demo.stdout.readline())
        assert not any("pip install" in line or "npm install" in line for line in lines), "set-up was not cached"
        keys = {line.split("'")[1]: line.split()[-1] for line in lines if "API key '" in line}
        health: dict[str, object] = {}
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as reply:
                    health = json.loads(reply.read())
                break
            except OSError:
                time.sleep(0.1)
        assert health.get("status") == "ok", health

        (block,) = [b for b in runnable_blocks((clone / "README.md").read_text()) if b.when == "with the demo running"]
        outputs = []
        for command in block.commands:
            done = subprocess.run(["bash", "-euo", "pipefail", "-c", command.replace("127.0.0.1:8000",
                                                                                      f"127.0.0.1:{port}")],
                                  cwd=clone, env={**env, "PILOTKIT_KEY": keys["programme officer"]},
                                  capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
            assert done.returncode == 0 and "Traceback" not in done.stderr, f"`{command}`:\n{done.stdout}{done.stderr}"
            outputs.append((command, done.stdout))
        by_command = {command.split()[0] + " " + command.split()[1]: out for command, out in outputs}
        programmes = json.loads(by_command["curl -s"])
        assert isinstance(programmes, list) and programmes[0]["address"].startswith("0x"), programmes  # with the key
        script = by_command["pilotkit run"]
        assert "attached to the running pilotkit node" in script  # the demo's chain, not a throwaway one
        assert "reused CertificateRegistry at" in script and "'accredited': True" in script
        assert "transactions sent: 1" in script
        assert "verdict: PASS" in by_command["pilotkit replay"]
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGINT)  # Ctrl-C in the terminal: the whole foreground group
        try:
            demo.wait(timeout=60)
        finally:
            if demo.poll() is None:
                os.killpg(demo.pid, signal.SIGKILL)
    assert not (clone / ".pilotkit" / "node-local.json").exists()
    status = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True).stdout
    assert status == "", f"the quick start left the clone dirty:\n{status}"
