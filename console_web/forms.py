"""The console's forms for every admin command, built from the commands' own specs.

A console save is the admin chat command with the same arguments: the form's fields are put
together into the command's text and parsed by the same grammar, and the console runs the
result through the same executors (`AdminCommands.run`). So a save is checked exactly as in
chat (byte limits, template budget, sensitive words), audited the same way (as made in the
console) and undone by the same 撤销. A field the text can't carry unchanged (a separator
inside a field that ends at one) is refused rather than split differently.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from bot.admin.grammar import Parsed, Spec
from bot.admin.specs import CORE_NOUNS, grammar

# argument names (as the specs call them) as operators read them
LABELS = {
    "category": "分类",
    "title": "标题",
    "text": "内容",
    "query": "关键词",
    "id": "编号",
    "field": "要改的项",
    "value": "新内容",
    "old": "旧文本",
    "new": "新文本",
    "words": "词（空格分隔）",
    "phrase": "放行的说法",
    "name": "名称",
    "tag": "标签（组/标签）",
    "keywords": "关键词（空格分隔）",
    "scope": "适用范围（默认、渠道 <state>、员工 <账号> 或 部门 <部门ID>）",
    "version": "版本",
    "days": "天数",
    "count": "条数",
}
LONG = frozenset({"text", "value", "new", "words", "keywords"})  # typed in a text area
CORE = frozenset(noun.name for noun in CORE_NOUNS)  # stats, audit, undo…: pages of their own


class FormError(ValueError):
    """A form that can't become the command as typed; the message is Chinese."""


@dataclass(frozen=True, slots=True)
class Field:
    """One argument of a command, as a form field."""

    name: str
    label: str
    long: bool
    optional: bool
    choices: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Form:
    """One command: its key (`script.add`), its verb, usage and help, and its fields."""

    key: str
    verb: str
    usage: str
    help: str
    destructive: bool
    fields: tuple[Field, ...]


@dataclass(frozen=True, slots=True)
class Section:
    """One noun's commands (话术, 敏感词…): a page of the console."""

    slug: str
    title: str
    forms: tuple[Form, ...]


def _form(spec: Spec) -> Form:
    required = len(spec.args) - spec.optional
    fields = tuple(
        Field(
            name,
            LABELS.get(name, name),
            name in LONG,
            index >= required,
            spec.choices.get(index, ()),
        )
        for index, name in enumerate(spec.args)
    )
    verb = spec.words[0] if spec.words else spec.noun
    return Form(spec.key, verb, spec.usage, spec.help, spec.destructive, fields)


@functools.cache
def sections() -> tuple[Section, ...]:
    """A page per noun of every feature's admin part, in the features' order."""
    found = []
    for noun in grammar().nouns.values():
        if noun.name in CORE:
            continue
        forms = tuple(_form(spec) for spec in grammar().specs[noun.name])
        found.append(Section(noun.name, noun.title, forms))
    return tuple(found)


def section(slug: str) -> Section | None:
    return next((s for s in sections() if s.slug == slug), None)


def compose(spec: Spec, values: dict[str, str]) -> str:
    """The command's text: the noun and verb words, then the fields (trailing optional ones
    left out when empty)."""
    head = grammar().nouns[spec.noun].words[0]
    words = [head] + ([spec.words[0]] if spec.verb else [])
    fields = [values.get(name, "").strip() for name in spec.args]
    while fields and not fields[-1] and len(fields) > len(spec.args) - spec.optional:
        fields.pop()
    joiner = " | " if spec.pipe else " "
    return " ".join(words) + (" " + joiner.join(fields) if fields else "")


def parse(key: str, values: dict[str, str]) -> Parsed:
    """The command `key` with these field values, parsed by the chat grammar; `FormError` when
    a field is missing or could not travel through the text unchanged."""
    try:
        spec = grammar().spec(key)
    except (KeyError, ValueError):
        raise FormError("没有这个操作") from None
    form = _form(spec)
    for field in form.fields:
        if not field.optional and not values.get(field.name, "").strip():
            raise FormError(f"请填写「{field.label}」")
    parsed = grammar().parse(compose(spec, values))
    if not isinstance(parsed, Parsed):
        raise FormError(getattr(parsed, "message", "") or "格式不对")
    if parsed.spec.key != key:
        raise FormError("内容无法按这个操作理解，请检查各项")
    for field in form.fields:
        if parsed[field.name] != values.get(field.name, "").strip():
            cut = "“|”" if spec.pipe else "空格或换行"
            raise FormError(f"「{field.label}」里不能有{cut}（它们用来分隔各项）")
    return parsed
