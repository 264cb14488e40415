"""An installed console finds its pages: the templates and static files it reads beside its modules are package data."""

from __future__ import annotations

import tomllib
from pathlib import Path

from services.console.pages import HERE

ROOT = Path(__file__).resolve().parents[2]


def test_every_template_and_static_file_of_the_console_is_shipped_with_the_package() -> None:
    # Given the files the console reads from its own folder (Jinja templates, scripts and the style sheet)
    files = sorted(p.relative_to(HERE) for folder in ("templates", "static") for p in (HERE / folder).iterdir())
    # When the package data that setuptools copies into a built package is read from pyproject.toml
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"].get("package-data", {}).get("services.console", [])
    # Then each of them matches a pattern, so a wheel holds base.html, console.css and calling.js alike
    assert files, "the console has templates and static files"
    assert [str(f) for f in files if not any(f.match(p) for p in patterns)] == []
