"""Extracting the messages and building one language's site.

:func:`gettext` extracts every message into ``_build/gettext`` and updates the
catalogues from it; :func:`build` builds a site from the chapters' cached
outputs (no chapter runs twice) and :func:`install` puts a translation beside
the English site. :func:`main` is ``python -m llmrec_utils.course.translation``.
"""

from __future__ import annotations

from pathlib import Path

from .messages import LOCALES, ROOT, catalogue_dir, report
from .extension import SITE_DIR

TITLES = {"zh_CN": "面向推荐系统的大语言模型数据增强"}  # as the pages name the book


def _jupyter_book() -> str:
    import sys

    return str(Path(sys.executable).with_name("jupyter-book"))


def write_config(language: str, out: Path, cache: Path | None = None,
                 execute: str | None = None, book: Path = ROOT) -> Path:  # fmt: skip
    """``_config.yml`` for one language's build of ``book``: its own config,
    with Sphinx's ``language`` set, and (``cache``) the chapters' outputs read
    from a jupyter-cache folder (executed and stored there when their code
    changed) instead of executed again."""
    import yaml

    config = yaml.safe_load((Path(book) / "_config.yml").read_text())
    config.setdefault("sphinx", {}).setdefault("config", {})["language"] = language
    if language != "en":
        config["title"] = TITLES[language]
    if cache is not None:
        config.setdefault("execute", {}).update(execute_notebooks="cache", cache=str(cache))
    if execute is not None:
        config.setdefault("execute", {})["execute_notebooks"] = execute
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(config, allow_unicode=True))
    return out


def gettext(language: str = "zh_CN") -> Path:
    """Extract every message into ``_build/gettext`` (no notebook is executed:
    outputs are not messages) and update ``locales/<language>`` from it:
    new messages are added empty, changed ones marked fuzzy."""
    import subprocess

    config = write_config("en", ROOT / "_build" / "_config.gettext.yml", execute="off")
    subprocess.run([_jupyter_book(), "build", str(ROOT), "--builder", "custom",
                    "--custom-builder", "gettext", "--config", str(config), "--all", "-qq"],
                   check=True)  # fmt: skip
    templates = ROOT / "_build" / "gettext"
    subprocess.run([str(Path(_jupyter_book()).with_name("sphinx-intl")), "update", "-p",
                    str(templates), "-l", language, "-d", str(LOCALES), "-w", "0"],
                   check=True)  # fmt: skip
    return templates


def build_command(language: str = "zh_CN", cache: Path | None = None,
                  strict: bool = True) -> list[str]:  # fmt: skip
    """The ``jupyter-book build`` of one language's site: English into
    ``_build/html``, another language into ``_build/site-<language>`` (then
    :func:`install` puts it beside the English). With ``cache`` (a jupyter-cache
    folder) the chapters' outputs are read from there, or executed and stored."""
    config = write_config(language, ROOT / "_build" / f"_config.{language}.yml", cache=cache)
    cmd = [_jupyter_book(), "build", str(ROOT), "--config", str(config), "--all", "-n"]
    if language != "en":
        cmd += ["--path-output", str(ROOT / "_build" / f"site-{language}")]
    return cmd + (["-W", "--keep-going"] if strict else [])


def install(language: str = "zh_CN") -> Path:
    """Copy a built translation into the English site (``_build/html/zh``)."""
    import shutil

    site = ROOT / "_build" / "html" / SITE_DIR[language]
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(ROOT / "_build" / f"site-{language}" / "_build" / "html", site)
    return site


def build(language: str = "zh_CN", cache: Path | None = None) -> Path:
    """Build one language's site (see :func:`build_command`); its index page."""
    import subprocess

    subprocess.run(build_command(language, cache), check=True)
    return (install(language) if language != "en" else ROOT / "_build" / "html") / "index.html"


def main(argv: list[str] | None = None) -> int:
    """``python -m llmrec_utils.course.translation gettext|build|check``."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m llmrec_utils.course.translation")
    p.add_argument("what", choices=["gettext", "build", "check"])
    p.add_argument("--language", default="zh_CN")
    p.add_argument("--cache", help="a jupyter-cache folder holding the executed chapters")
    args = p.parse_args(argv)
    if args.what == "gettext":
        print(f"templates in {gettext(args.language)}; catalogues in {catalogue_dir(args.language)}")
        return 0
    if args.what == "build":
        print(f"open {build(args.language, Path(args.cache).resolve() if args.cache else None)}")
        return 0
    bad = report(args.language)
    for doc, issues in bad.items():
        print(f"{doc}: {len(issues)} message(s)")
        for line in issues[:20]:
            print("   ", line)
    print("every message translated, none fuzzy, markup kept" if not bad else
          f"{sum(map(len, bad.values()))} message(s) to fix in {len(bad)} page(s)")
    return 1 if bad else 0

