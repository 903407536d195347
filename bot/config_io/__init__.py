"""Configuration as code: everything admins configure, exported to one YAML file and imported
back — checked as a whole, diffed, applied in one Redis transaction.

- `fileio`: the file (reading with bounds, YAML errors by line; stable writing).
- `items`, `sections`, `mappings`: sections and their items, type-checked against the
  stores' dataclasses (`bot.typed_input`, shared with the CLI's JSON files).
- `checks`, `plan`: the whole file's checks and the diff per section.
- `remote`, `apply`: the WeCom side (contact ways, group welcome templates) and the transaction.
- `importer`: export, and `ConfigImporter` (plan, apply, audit) for the CLI.
"""

from bot.config_io.fileio import FORMAT_VERSION, SECTION_ORDER, ConfigFile, parse_text, read_file
from bot.config_io.importer import ConfigImporter, export_sections, export_text, sections_named
from bot.config_io.items import ConfigChanged, ConfigProblems
from bot.config_io.plan import Plan, SectionPlan

__all__ = [
    "FORMAT_VERSION",
    "SECTION_ORDER",
    "ConfigChanged",
    "ConfigFile",
    "ConfigImporter",
    "ConfigProblems",
    "Plan",
    "SectionPlan",
    "export_sections",
    "export_text",
    "parse_text",
    "read_file",
    "sections_named",
]
