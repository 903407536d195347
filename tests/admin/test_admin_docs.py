"""docs/admin-commands.md can't drift from the code: every command's usage line (the one `帮助`
shows) and every noun's title appear in it verbatim."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.admin.grammar import Spec
from bot.admin.specs import all_specs, grammar

DOC = Path(__file__).resolve().parents[2] / "docs" / "admin-commands.md"


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("spec", all_specs(), ids=lambda spec: spec.key)
def test_every_usage_line_is_in_the_doc(doc: str, spec: Spec) -> None:
    assert spec.usage, f"{spec.key} has no usage line"
    assert spec.usage in doc, f"docs/admin-commands.md lacks the usage of {spec.key}: {spec.usage}"


@pytest.mark.parametrize("title", [noun.title for noun in grammar().nouns.values()])
def test_every_noun_has_its_section(doc: str, title: str) -> None:
    headings = re.findall(r"^#{2,4} (.+?)\s*$", doc, flags=re.MULTILINE)
    assert title in headings, f"docs/admin-commands.md has no section titled {title}"


def test_the_doc_points_to_configuration_as_code(doc: str) -> None:
    assert "scrm-bot export" in doc and "scrm-bot import" in doc
    assert "operator-guide.md" in doc
