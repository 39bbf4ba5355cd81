"""Hatchling build hook for the ``wheel`` target. Two jobs:

1. **Message catalogs, always.** Compile the gettext catalogs (``.po`` → ``.mo``) with babel before every wheel
   build, regular and editable alike (``pip install .``, ``pip install -e .``, ``python -m build``), writing each
   ``src/ticketcore/locale/<lang>/LC_MESSAGES/ticketcore.mo`` next to its ``.po``. The ``.mo`` files are git-ignored
   build products; ``[tool.hatch.build.targets.wheel] artifacts`` ships them in the wheel anyway. A catalog with
   fuzzy or untranslated entries, or whose entries fail babel's checks, stops the build: a wheel that silently shows
   English to Croatian readers is worse than no wheel.

2. **A mypyc-compiled wheel, only on request.** With ``TICKETCORE_COMPILE=1`` in the environment, a *standard*
   wheel also gets the modules in :data:`COMPILED_MODULES` compiled by mypyc into C extension modules (about 1.5x
   faster SLA evaluation). One mypyc run (:data:`MYPYC_SETUP`) builds them in a temporary copy of
   ``src/ticketcore``, so the source tree gets no ``.c``, ``.so`` or ``build/`` files; ``force_include`` puts them
   in the wheel beside their ``.py`` files, which stay there as the reference, and the wheel is platform-tagged
   (``cp311-cp311-linux_x86_64`` rather than ``py3-none-any``). The extension modules need nothing at run time
   beyond the wheel's usual dependencies: mypyc builds its C runtime into the group library it ships beside them.
   Unset or ``0``: the pure wheel, as before. Any other value, or a failed compilation, stops the build with
   mypyc's own message; an explicit request must not quietly produce the slow wheel.

   Editable builds are never compiled: an extension module wins the import over the ``.py`` file beside it, so a
   compiled module in an editable install would silently shadow every later edit of its source.

   :meth:`TicketcoreBuildHook.dependencies` asks for mypy (which provides mypyc), setuptools (which drives the C
   compiler), the project's own dependencies and the dateutil stubs (mypyc type-checks what it compiles, and needs
   attrs' class definitions and typed imports for that, as mypy does) only when the variable is set, so the default
   build environment stays as light as before. (That method cannot tell an editable build from a standard one: an
   editable build with the variable set installs them in vain.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from hatchling.builders.hooks.plugin.interface import BuildHookInterface

LOCALE_DIR = Path("src") / "ticketcore" / "locale"
DOMAIN = "ticketcore"

PACKAGE = "ticketcore"
COMPILED_MODULES = ("_sla.timeline", "_sla.measure", "_sla.clock")
"""The modules of :data:`PACKAGE` (dotted, relative to it) that ``TICKETCORE_COMPILE=1`` compiles with mypyc: the one
list of them."""
COMPILE_VARIABLE = "TICKETCORE_COMPILE"
COMPILE_REQUIREMENTS = ["mypy>=1.10", "setuptools>=70", "types-python-dateutil"]
MYPYC_SETUP = """
import sys
from setuptools import setup
from mypyc.build import mypycify
setup(name="ticketcore-mypyc", ext_modules=mypycify(sys.argv[1:]), script_args=["build_ext", "--inplace"])
"""
"""What ``python -c`` runs in the temporary copy: mypyc's documented ``setup.py`` recipe, built in place.

The ``mypyc`` command does the same through a generated ``setup.py``, but it also puts its own ``site-packages`` on
``PYTHONPATH``, which pip's isolated build environments complain about.
"""


def compile_catalogs(root: Path) -> list[Path]:
    """Compile every ``<lang>/LC_MESSAGES/ticketcore.po`` under ``root / LOCALE_DIR``; return the ``.mo`` paths."""
    written = []
    for po_path in sorted((root / LOCALE_DIR).glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po_path.open("rb") as source:
            catalog = read_po(source, locale=po_path.parent.parent.name, domain=DOMAIN)
        problems = [
            f"{po_path}: {message.context or ''}|{message.id!r}: {problem}"
            for message, errors in catalog.check()
            for problem in errors
        ]
        problems += [
            f"{po_path}: {message.context or ''}|{message.id!r} is fuzzy or untranslated"
            for message in catalog
            if message.id and (message.fuzzy or not message.string)
        ]
        if problems:
            raise RuntimeError("cannot compile the message catalogs:\n" + "\n".join(problems))
        mo_path = po_path.with_suffix(".mo")
        with mo_path.open("wb") as target:
            write_mo(target, catalog)
        written.append(mo_path)
    if not written:
        raise RuntimeError(
            f"no catalogs found under {root / LOCALE_DIR}; the wheel would ship without translations"
        )
    return written


def compile_requested() -> bool:
    """``TICKETCORE_COMPILE``: ``1`` asks for the compiled wheel, unset or ``0`` does not; other values fail."""
    value = os.environ.get(COMPILE_VARIABLE, "")
    if value not in {"", "0", "1"}:
        raise ValueError(
            f"{COMPILE_VARIABLE}={value!r}: use 1 for the mypyc-compiled wheel, 0 (or unset) for the pure one"
        )
    return value == "1"


def compile_modules(root: Path, workdir: Path) -> dict[str, str]:
    """Compile :data:`COMPILED_MODULES` with mypyc in ``workdir``; return ``{built file: path in the wheel}``.

    ``workdir`` gets a copy of ``root / "src" / PACKAGE`` (mypyc type-checks the whole import graph) and mypyc's
    ``build/`` directory; the extension modules land beside the copied sources, and mypyc's shared group library,
    when it makes one, at the top of ``workdir`` (so at the top of ``site-packages`` once installed).
    """
    is_extension = shutil.ignore_patterns("__pycache__", *(f"*{suffix}" for suffix in EXTENSION_SUFFIXES))
    shutil.copytree(root / "src" / PACKAGE, workdir / PACKAGE, ignore=is_extension)
    # mypyc's type check uses mypy's defaults, never a user's own mypy configuration.
    (workdir / "mypy.ini").write_text("[mypy]\n", encoding="utf-8")
    sources = [f"{PACKAGE}/{module.replace('.', '/')}.py" for module in COMPILED_MODULES]
    done = subprocess.run(
        [sys.executable, "-c", MYPYC_SETUP, *sources],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{COMPILE_VARIABLE}=1: mypyc could not compile {' '.join(sources)} "
            f"(exit status {done.returncode}):\n{done.stdout}{done.stderr}"
        )
    folders = {
        workdir,
        *((workdir / PACKAGE / module.replace(".", "/")).parent for module in COMPILED_MODULES),
    }
    built = [
        path
        for folder in sorted(folders)
        for path in folder.iterdir()
        if path.is_file() and path.name.endswith(tuple(EXTENSION_SUFFIXES))
    ]
    in_wheel = {path.relative_to(workdir).as_posix() for path in built}
    missing = [
        module
        for module in COMPILED_MODULES
        if not any(name.startswith(f"{PACKAGE}/{module.replace('.', '/')}.") for name in in_wheel)
    ]
    if missing:
        raise RuntimeError(f"{COMPILE_VARIABLE}=1: mypyc built no extension module for {missing}")
    return {str(path): path.relative_to(workdir).as_posix() for path in built}


class TicketcoreBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """Compile the catalogs for every ``wheel`` build; with ``TICKETCORE_COMPILE=1``, mypyc for standard wheels."""

    PLUGIN_NAME = "custom"

    _workdir: tempfile.TemporaryDirectory[str] | None = None

    def dependencies(self) -> list[str]:
        """Extra build requirements (mypy, setuptools, the runtime dependencies), for a compiled wheel only."""
        if self.target_name != "wheel" or not compile_requested():
            return []
        return [*COMPILE_REQUIREMENTS, *self.metadata.core.dependencies]

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Write the ``.mo`` files, and compile the extension modules if asked, before hatchling collects files."""
        if self.target_name != "wheel":
            return
        compile_catalogs(Path(self.root))
        if version != "standard" or not compile_requested():
            return
        self._workdir = tempfile.TemporaryDirectory(prefix="ticketcore-mypyc-")
        build_data["force_include"].update(compile_modules(Path(self.root), Path(self._workdir.name)))
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        """Remove mypyc's temporary directory once the wheel is written."""
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None
