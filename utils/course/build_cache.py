"""Sphinx extension: re-execute the book's notebooks when the sources of ``utils`` change.

With ``execute_notebooks: cache`` (``_config.yml``), jupyter-cache keys each executed notebook on its code
cells only, and Sphinx re-reads only the pages whose source file changed. A change inside ``utils`` changes
neither, so a machine that already has ``_build`` would keep showing (and testing) the outputs of the old code.

This extension hashes every ``*.py`` file of the package folders (default: the ``utils`` package this module
belongs to; the config value ``build_cache_package_dirs`` lists others, relative to the book's folder) when the
configuration is read, and

* stores the hash in the config value ``build_cache_sources_digest`` (rebuild ``"env"``), so Sphinx re-reads
  every page when it differs from the one the saved environment was built with. A build that fails before its
  environment is saved therefore re-reads everything again next time;
* compares it with the hash stamped in the jupyter cache folder (``nb_execution_cache_path``, default
  ``_build/.jupyter_cache``, the folder myst-nb uses) and, when they differ or the stamp is missing, clears the
  cache (jupyter-cache's own ``clear_cache``) and stamps the new hash. The cache then only ever holds
  notebooks executed with the current sources.

Enable it in ``_config.yml``::

    sphinx:
      extra_extensions:
        - utils.course.build_cache
"""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["STAMP_NAME", "default_package_dirs", "sources_digest", "refresh_execution_cache", "setup"]

#: The file, inside the jupyter cache folder, that records the hash of the sources the cache was built with.
STAMP_NAME = "package-sources.sha256"


def default_package_dirs() -> list[Path]:
    """The folder of the ``utils`` package this module is part of (the one the build and its kernels import).

    Returns
    -------
    list of Path
        One absolute folder.
    """
    return [Path(__file__).resolve().parents[1]]


def sources_digest(package_dirs) -> str:
    """SHA-256 of every ``*.py`` file under the given folders: their relative paths and contents.

    Files are taken in sorted order of their paths relative to their folder (``__pycache__`` is skipped), so
    the hash depends on the sources only: not on modification times, compiled files or the folder's location.
    Adding, removing, renaming or editing a ``*.py`` file changes it.

    Parameters
    ----------
    package_dirs : sequence of str or Path
        Folders to hash, in order (at least one).

    Returns
    -------
    str
        64 hexadecimal digits.

    Raises
    ------
    ValueError
        If no folder is given, a folder does not exist, or one holds no ``*.py`` file (a misconfiguration that
        would otherwise never invalidate the cache).
    """
    dirs = [Path(d) for d in package_dirs]
    if not dirs:
        raise ValueError("build_cache: no package folder to hash")
    digest = hashlib.sha256()
    for index, folder in enumerate(dirs):
        if not folder.is_dir():
            raise ValueError(f"build_cache: package folder {folder} does not exist")
        files = sorted(
            (p.relative_to(folder).as_posix(), p) for p in folder.rglob("*.py") if "__pycache__" not in p.parts
        )
        if not files:
            raise ValueError(f"build_cache: package folder {folder} holds no *.py file")
        for rel, path in files:
            data = path.read_bytes()
            digest.update(f"{index}\0{rel}\0{len(data)}\0".encode())
            digest.update(data)
    return digest.hexdigest()


def refresh_execution_cache(cache_dir, digest: str) -> bool:
    """Clear the jupyter cache at ``cache_dir`` unless it is stamped with ``digest``; then stamp it.

    Parameters
    ----------
    cache_dir : str or Path
        The jupyter-cache folder (myst-nb's ``nb_execution_cache_path``). It need not exist yet.
    digest : str
        The hash of the current sources (:func:`sources_digest`).

    Returns
    -------
    bool
        True if the stamp was missing or different (the cache, if any, was cleared), False if it matched.

    Raises
    ------
    ValueError
        If ``cache_dir`` exists and is neither a jupyter cache (no ``global.db``) nor empty: it is not
        cleared, since it may be some other folder.
    """
    cache_dir = Path(cache_dir)
    stamp = cache_dir / STAMP_NAME
    if stamp.is_file() and stamp.read_text().strip() == digest:
        return False
    if (cache_dir / "global.db").is_file():
        from jupyter_cache import get_cache

        get_cache(cache_dir).clear_cache()
    elif cache_dir.is_dir() and any(p.name != STAMP_NAME for p in cache_dir.iterdir()):
        raise ValueError(f"build_cache: {cache_dir} is not a jupyter cache (no global.db); not clearing it")
    cache_dir.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest + "\n")
    return True


def _cache_dir(app) -> Path:
    """myst-nb's rule: ``nb_execution_cache_path`` if set, else ``.jupyter_cache`` next to the output folder."""
    configured = getattr(app.config, "nb_execution_cache_path", "") or ""
    return Path(configured) if configured else Path(app.outdir).parent / ".jupyter_cache"


def _on_config_inited(app, config) -> None:
    from sphinx.errors import ConfigError
    from sphinx.util import logging

    dirs = config.build_cache_package_dirs or default_package_dirs()
    dirs = [Path(app.confdir, d) for d in dirs]  # relative entries are relative to the book's folder
    try:
        digest = sources_digest(dirs)
        cache_dir = _cache_dir(app)
        cleared = refresh_execution_cache(cache_dir, digest)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    config.build_cache_sources_digest = digest
    if cleared:
        logging.getLogger(__name__).info(
            f"build_cache: sources of {', '.join(map(str, dirs))} changed (or first build): "
            f"cleared the execution cache {cache_dir}; every notebook runs again"
        )


def setup(app) -> dict:
    """Register the config values and the ``config-inited`` handler (Sphinx extension entry point).

    Parameters
    ----------
    app : sphinx.application.Sphinx

    Returns
    -------
    dict
        Extension metadata (parallel read and write safe).
    """
    app.add_config_value("build_cache_package_dirs", [], "", list)
    app.add_config_value("build_cache_sources_digest", "", "env", str)
    app.connect("config-inited", _on_config_inited)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
