"""Loading and running brownie-style deployment scripts: a module with `main()` or `main(session)`."""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from pilotkit.errors import PilotkitError

if TYPE_CHECKING:
    from pilotkit.runtime import Session


def load_script(path: Path) -> ModuleType:
    """Import a script file as a module; it must define a callable `main`."""
    if not path.is_file():
        raise PilotkitError(f"script {path} does not exist")
    spec = importlib.util.spec_from_file_location(f"pilotkit_script_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise PilotkitError(f"cannot load {path} as a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not callable(getattr(module, "main", None)):
        raise PilotkitError(f"{path} has no main() function")
    return module


def run_main(module: ModuleType, session: Session) -> Any:
    """Call `main(session)` when main takes a parameter, else `main()` (use pilotkit.runtime.current())."""
    main = module.main
    takes_session = len(inspect.signature(main).parameters) >= 1
    return main(session) if takes_session else main()
