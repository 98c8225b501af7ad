"""Packaging: every package ships, and the rule files ship inside the installed package."""
from __future__ import annotations

import configparser
from pathlib import Path

from lossrules.resources import builtin_rules_dir

ROOT = Path(__file__).resolve().parents[1]


def test_setup_cfg_lists_every_package_of_the_source_tree():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    listed = set(cfg["options"]["packages"].split())
    on_disk = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "lossrules").rglob("__init__.py")
    }
    assert on_disk | {"lossrules._rules"} == listed


def test_the_rule_folder_is_mapped_into_the_package_with_its_yaml_files():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    assert "lossrules._rules = rules" in cfg["options"]["package_dir"]
    assert cfg["options.package_data"]["lossrules._rules"].strip() == "*.yaml"
    assert (builtin_rules_dir() / "roles.yaml").is_file()
