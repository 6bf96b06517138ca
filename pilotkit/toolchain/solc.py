"""Solidity compiler backends: a native `solc` when one matches the pinned version, else solc-js.

Both take the same standard-JSON input and return the same standard-JSON output (solc-js is the
official compiler built to wasm), so everything above this module is backend-agnostic.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any, Protocol

from pilotkit.errors import CompilerError, ToolchainNotFound
from pilotkit.toolchain.discovery import find_node, node_modules_dir

SOLC_ENV = "PILOTKIT_SOLC"
SHIM_MARKER = "pilotkit-solcjs-shim"
_VERSION_RE = re.compile(r"(\d+\.\d+\.\d+)(\+commit\.[0-9a-f]+)?")


class SolcBackend(Protocol):
    """A compiler that accepts standard-JSON input."""

    kind: str
    version: str

    def compile(self, standard_input: dict[str, Any]) -> dict[str, Any]:
        """Compile and return the parsed standard-JSON output."""
        ...

    def close(self) -> None:
        """Release any process held by the backend."""
        ...

    def usable(self) -> bool:
        """Whether the backend can still compile."""
        ...


class NativeSolc:
    """A native `solc` binary, run once per compile with `--standard-json`."""

    kind = "native"

    def __init__(self, path: Path, version: str) -> None:
        self.path = path
        self.version = version

    def compile(self, standard_input: dict[str, Any]) -> dict[str, Any]:
        try:
            done = subprocess.run(
                [str(self.path), "--standard-json"],
                input=json.dumps(standard_input).encode(),
                capture_output=True,
                check=False,
            )
        except OSError as exc:
            raise CompilerError(f"could not run {self.path}: {exc}") from None
        return _parse_output(done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))

    def close(self) -> None:
        return None

    def usable(self) -> bool:
        return self.path.exists()

    def __repr__(self) -> str:
        return f"NativeSolc({self.path}, {self.version})"


class SolcJsBridge:
    """solc-js kept loaded in one long-lived Node process (loading it costs ~0.4 s per process)."""

    kind = "solc-js"

    def __init__(self, solc_module: Path) -> None:
        script = Path(__file__).with_name("solcjs_bridge.js")
        self._lock = threading.Lock()
        try:
            self._process = subprocess.Popen(
                [str(find_node()), str(script), str(solc_module)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as exc:
            raise CompilerError(f"could not start the solc-js bridge: {exc}") from None
        assert self._process.stdout is not None
        hello = self._process.stdout.readline()
        if not hello:
            err = self._process.stderr.read().decode("utf-8", "replace") if self._process.stderr else ""
            raise CompilerError(f"the solc-js bridge exited at start-up: {err.strip()[-500:]}")
        self.version = _full_version(json.loads(hello)["version"])
        self.module = solc_module
        _LIVE_BRIDGES.add(self)

    def compile(self, standard_input: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(standard_input).encode()
        with self._lock:
            stdin, stdout = self._process.stdin, self._process.stdout
            if self._process.poll() is not None or stdin is None or stdout is None:
                raise CompilerError("the solc-js bridge is not running")
            stdin.write(f"{len(body)}\n".encode() + body)
            stdin.flush()
            header = stdout.readline()
            if not header:
                raise CompilerError("the solc-js bridge exited while compiling")
            payload = stdout.read(int(header))
        return _parse_output(payload.decode("utf-8"), "")

    def usable(self) -> bool:
        """False once the Node process has died (it is then replaced on the next find_solc)."""
        return self._process.poll() is None

    def close(self) -> None:
        _LIVE_BRIDGES.discard(self)
        if self._process.poll() is None:
            if self._process.stdin:
                self._process.stdin.close()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        for stream in (self._process.stdout, self._process.stderr):
            if stream:
                stream.close()

    def __repr__(self) -> str:
        return f"SolcJsBridge({self.module}, {self.version})"


_LIVE_BRIDGES: set[SolcJsBridge] = set()
_BACKENDS: dict[tuple[str, str, str], SolcBackend] = {}


@atexit.register
def _close_bridges() -> None:
    for bridge in list(_LIVE_BRIDGES):
        bridge.close()


def find_solc(version: str, project_root: Path | None = None) -> SolcBackend:
    """Return a compiler of exactly `version` (e.g. "0.8.30"), preferring a native binary.

    Order: $PILOTKIT_SOLC (a path, or `solcjs` to force solc-js), `solc` on PATH, a version installed
    by py-solc-x, then solc-js from the project's node_modules. Backends are cached per process and
    shared by every project using the same node_modules (one solc-js bridge, not one per project).
    """
    key = (version, os.environ.get(SOLC_ENV, ""), str(node_modules_dir(project_root)))
    cached = _BACKENDS.get(key)
    if cached is not None and cached.usable():
        return cached
    backend = _locate(version, project_root)
    _BACKENDS[key] = backend
    return backend


def _locate(version: str, project_root: Path | None) -> SolcBackend:
    forced = os.environ.get(SOLC_ENV)
    if forced and forced != "solcjs":
        path = Path(forced)
        found = _native_version(path)
        if found is None:
            raise ToolchainNotFound(f"${SOLC_ENV}={forced} is not a runnable solc binary")
        if _short(found) != version:
            raise ToolchainNotFound(f"${SOLC_ENV} is solc {found}, but the project pins {version}")
        return NativeSolc(path, found)
    if forced != "solcjs":
        for path in _native_candidates(version):
            found = _native_version(path)
            if found is not None and _short(found) == version:
                return NativeSolc(path, found)
    module = _solcjs_module(project_root, version)
    if module is not None:
        return SolcJsBridge(module)
    raise ToolchainNotFound(
        f"no Solidity compiler {version} found: run `npm install` in the project (package.json pins solc "
        f"{version}), or install a native solc {version} (PATH, or `python -m solcx.install v{version}`), "
        f"or point ${SOLC_ENV} at one"
    )


def _native_candidates(version: str) -> list[Path]:
    candidates: list[Path] = []
    on_path = shutil.which("solc")
    if on_path:
        candidates.append(Path(on_path))
    solcx_dir = Path(os.environ.get("SOLCX_BINARY_PATH", Path.home() / ".solcx"))
    for name in (f"solc-v{version}", f"solc-v{version}.exe"):
        if (solcx_dir / name).is_file():
            candidates.append(solcx_dir / name)
    return [c for c in candidates if not _is_shim(c)]


def _is_shim(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return SHIM_MARKER.encode() in handle.read(512)
    except OSError:
        return False


def _native_version(path: Path) -> str | None:
    try:
        done = subprocess.run([str(path), "--version"], capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _VERSION_RE.search(done.stdout.decode("utf-8", "replace"))
    return match.group(0) if match else None


def _solcjs_module(project_root: Path | None, version: str) -> Path | None:
    modules = node_modules_dir(project_root)
    if modules is None:
        return None
    package = modules / "solc" / "package.json"
    if not package.is_file():
        return None
    if json.loads(package.read_text()).get("version") != version:
        return None
    return package.parent


def _full_version(raw: str) -> str:
    match = _VERSION_RE.search(raw)
    return match.group(0) if match else raw


def _short(full: str) -> str:
    return full.split("+", 1)[0]


def _parse_output(stdout: str, stderr: str) -> dict[str, Any]:
    start = stdout.find("{")
    if start < 0:
        raise CompilerError(f"the compiler printed no JSON output: {(stderr or stdout).strip()[-800:]}")
    try:
        return json.loads(stdout[start:])
    except json.JSONDecodeError as exc:
        raise CompilerError(f"the compiler's output is not valid JSON ({exc})") from None
