"""environment.yml (conda users) lists the same dependencies as pyproject.toml (the core and the notebooks
extra), and the lock file pins every one of them."""

from __future__ import annotations

import re
import tomllib

import yaml

from conftest import ROOT


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda, pip = set(), set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip |= {_name(d) for d in dep["pip"] if not d.startswith("-e")}
        else:
            conda.add(_name(dep))
    wanted = {_name(d): d for d in project["dependencies"] + project["optional-dependencies"]["notebooks"]}
    assert set(wanted) == (conda | pip) - {"python", "pip"}
    assert "conda-forge" in env["channels"]
    # versions agree too
    def version(spec: str) -> str:
        m = re.search(r"[<>=!~].*", spec.replace(" ", ""))
        v = m.group() if m else ""
        return f"={v}.*" if re.fullmatch(r"=[\d.]+", v) else v  # conda's jieba=0.42 is pip's jieba==0.42.*

    env_specs = {_name(d): d for dep in env["dependencies"]
                 for d in (dep["pip"] if isinstance(dep, dict) else [dep]) if not d.startswith("-e")}
    for name, spec in wanted.items():
        assert version(env_specs[name]) == version(spec), name
    assert project["requires-python"] == ">=3.11"


def test_readme_data_dictionary_is_current():
    from corpus_tools.schema import data_dictionary_markdown

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- data-dictionary:start", 1)[1].split("-->", 1)[1].split("<!-- data-dictionary:end")[0]
    assert block.strip() == data_dictionary_markdown().strip(), "regenerate the README's data dictionary"


def test_lock_file_pins_every_dependency():
    """requirements.lock (uv pip compile, every extra) pins each declared dependency to one version, and the
    Makefile installs from it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    pinned = {_name(line.split("==")[0]): line.split("==")[1].split()[0]
              for line in lock.splitlines() if "==" in line and not line.startswith("#")}
    declared = project["dependencies"] + [d for extra in project["optional-dependencies"].values() for d in extra
                                          if not d.startswith("corpus_tools")]
    assert {_name(d) for d in declared} <= set(pinned)
    assert "requirements.lock" in (ROOT / "Makefile").read_text(encoding="utf-8")
