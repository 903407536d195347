"""Import and export of the script library as YAML or CSV.

An import is checked as a whole before anything is written: every bad row is reported with its
line number, and a file with any bad row changes nothing. Rows carry an `id` to replace that
script; without one, a script with the same category and title is replaced, so importing the
same file twice doesn't duplicate it; otherwise the row is a new script.

CSV columns: id, category, title, text, keywords (separated by |), departments and staff
(separated by |; both empty = visible to everyone), enabled (1/0). Attachments travel in YAML only.
A cell a spreadsheet would run as a formula is exported with a leading `'`, which the import
removes again (`bot.csv_cells`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from pathlib import Path
from typing import Any

import yaml

from bot.csv_cells import csv_text, restored
from bot.text.guard import TextGuard
from bot.typed_input import Checker
from bot.yaml_input import YamlRefused, load_yaml
from scripts_library.scripts import Script, ScriptError, ScriptStore, Visibility, validate

CSV_COLUMNS = ("id", "category", "title", "text", "keywords", "departments", "staff", "enabled")
MAX_ROWS = 20_000
MAX_FILE_BYTES = 32 * 1024 * 1024  # as a configuration file (which holds the scripts too)


class ImportProblems(ScriptError):
    """Every bad row of a file, one line each; nothing of the file was imported."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:50] + ([f"……另有 {len(problems) - 50} 处"] if len(problems) > 50 else [])
        super().__init__("文件有错误，未导入任何内容：\n" + "\n".join(shown))


def read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, raw row) for each script in a .yaml/.yml or .csv file."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise ScriptError(f"{path} 超过 {MAX_FILE_BYTES // (1024 * 1024)} MB 的上限")
        text = data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScriptError(f"无法读取 {path}：{exc}") from None
    return rows_of(text, path.suffix)


def rows_of(text: str, suffix: str) -> list[tuple[int, dict[str, Any]]]:
    """(line number, raw row) for each script in the text of a file ending in `suffix`."""
    if suffix.lower() in (".yaml", ".yml"):
        rows = _yaml_rows(text)
    elif suffix.lower() == ".csv":
        rows = _csv_rows(text)
    else:
        raise ScriptError("只支持 .yaml / .yml / .csv 文件")
    if len(rows) > MAX_ROWS:
        raise ScriptError(f"一次最多导入 {MAX_ROWS} 条话术（文件中有 {len(rows)} 条）")
    return rows


def _yaml_rows(text: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        root, data = load_yaml(text)  # as `scrm-bot import` reads: no aliases
    except YamlRefused as exc:
        raise ScriptError(str(exc)) from None
    items = data.get("scripts") if isinstance(data, dict) else data
    if not isinstance(items, list) or root is None:
        raise ScriptError("YAML 应是话术列表，或含有 scripts: 列表的对象")
    seq = root
    if isinstance(root, yaml.MappingNode):
        seq = next(v for k, v in root.value if k.value == "scripts")
    lines = [node.start_mark.line + 1 for node in seq.value]
    return list(zip(lines, items, strict=True))


def _csv_rows(text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = {"category", "title", "text"} - set(reader.fieldnames or ())
    if missing:
        raise ScriptError(f"CSV 缺少列：{', '.join(sorted(missing))}（第 1 行是表头）")
    rows: list[tuple[int, dict[str, Any]]] = []
    start = 2
    for found in reader:
        # as exported: a cell a spreadsheet would run as a formula was written with a leading '
        row = {k: restored(v) for k, v in found.items() if isinstance(k, str) and v is not None}
        split = {
            k: [p for p in (row.get(k) or "").split("|") if p.strip()]
            for k in ("keywords", "departments", "staff")
        }
        raw: dict[str, Any] = {k: row.get(k) or "" for k in ("id", "category", "title", "text")}
        raw["keywords"] = [k.strip() for k in split["keywords"]]
        raw["visibility"] = {
            "everyone": not split["departments"] and not split["staff"],
            "departments": [d.strip() for d in split["departments"]],
            "staff": [s.strip() for s in split["staff"]],
        }
        raw["enabled"] = (row.get("enabled") or "1").strip() not in ("0", "false", "否")
        rows.append((start, raw))
        start = reader.line_num + 1
    return rows


def to_script(raw: Any) -> Script:
    """A row as a Script (not yet checked against the library's rules)."""
    if not isinstance(raw, dict):
        raise ScriptError("应是一个对象（键: 值）")
    known = {"id", "category", "title", "text", "attachments", "keywords", "visibility", "enabled"}
    unknown = sorted(set(raw) - known - BOOKKEEPING)
    if unknown:
        raise ScriptError(f"未知字段 {', '.join(unknown)}")
    visibility = raw.get("visibility") or {}
    if not isinstance(visibility, dict):
        raise ScriptError("visibility 应是对象：everyone / departments / staff")
    try:
        departments = [int(d) for d in visibility.get("departments", [])]
    except (TypeError, ValueError, AttributeError):
        raise ScriptError("visibility.departments 应是部门 ID 列表") from None
    return Script(
        id=str(raw.get("id") or ""),
        category=str(raw.get("category") or ""),
        title=str(raw.get("title") or ""),
        text=str(raw.get("text") or ""),
        attachments=list(raw.get("attachments") or []),
        keywords=[str(k) for k in raw.get("keywords") or []],
        visibility=Visibility(
            bool(visibility.get("everyone", not departments and not visibility.get("staff"))),
            departments,
            [str(s) for s in visibility.get("staff", [])],
        ),
        enabled=bool(raw.get("enabled", True)),
    )


BOOKKEEPING = frozenset({"version", "created_by", "created_at", "updated_by", "updated_at"})


def type_problems(raw: Any) -> list[str]:
    """A YAML row's fields against `Script`'s types (`text: 123` is named, not turned into
    "123"); CSV cells are all text and are read by `to_script` itself."""
    checker = Checker()
    checker.fields(Script, raw, ignored=BOOKKEEPING, optional=frozenset({"id"}))
    return checker.problems


async def import_file(
    store: ScriptStore, path: Path, by: str, guard: TextGuard | None, *, dry_run: bool = False
) -> dict[str, int]:
    """Check every row, then save them all at once; returns {"created": n, "updated": m}."""
    typed = path.suffix.lower() in (".yaml", ".yml")
    return await import_rows(store, read_rows(path), typed, by, guard, dry_run=dry_run)


async def import_rows(
    store: ScriptStore,
    rows: list[tuple[int, dict[str, Any]]],
    typed: bool,
    by: str,
    guard: TextGuard | None,
    *,
    dry_run: bool = False,
) -> dict[str, int]:
    """`import_file` for rows already read (`rows_of`); `typed`: they came from YAML."""
    existing = await store.all()
    by_id = {s.id: s for s in existing}
    by_title = {(s.category, s.title): s for s in existing}
    scripts: list[Script] = []
    problems: list[str] = []
    for line, raw in rows:
        wrong = type_problems(raw) if typed else []
        if wrong:
            problems += [f"第 {line} 行：{problem}" for problem in wrong]
            continue
        try:
            script = to_script(raw)
            validate(script, guard)
        except ScriptError as exc:
            problems.append(f"第 {line} 行：{exc}")
            continue
        if script.id and script.id not in by_id:
            problems.append(f"第 {line} 行：没有 id 为 {script.id} 的话术（新话术请不填 id）")
            continue
        if not script.id and (script.category, script.title) in by_title:
            script.id = by_title[(script.category, script.title)].id
        scripts.append(script)
    if problems:
        raise ImportProblems(problems)
    updated = sum(1 for s in scripts if s.id)
    if not dry_run:
        await store.save_many(scripts, by, guard)
    return {"created": len(scripts) - updated, "updated": updated}


def export_text(scripts: list[Script], fmt: str) -> str:
    """The library as YAML (everything) or CSV (no attachments)."""
    if fmt == "yaml":
        rows = [asdict(s) for s in scripts]
        return yaml.safe_dump({"scripts": rows}, allow_unicode=True, sort_keys=False)
    return csv_text(
        CSV_COLUMNS,
        (
            [
                s.id,
                s.category,
                s.title,
                s.text,
                "|".join(s.keywords),
                "" if s.visibility.everyone else "|".join(map(str, s.visibility.departments)),
                "" if s.visibility.everyone else "|".join(s.visibility.staff),
                "1" if s.enabled else "0",
            ]
            for s in scripts
        ),
    )
