"""Configuration as code: everything admins configure, exported to one YAML file and imported
back — checked as a whole, diffed, applied in one Redis transaction.

This package is the machinery; the sections themselves belong to the features that keep the
configuration (`config_section.py` in their folders, listed in their `bot.features` record).

- `fileio`: the file (reading with bounds, YAML errors by line; stable writing).
- `items`, `sections`: items, and the contract a feature's section keeps (`ConfigSection`,
  `ListSection`: type-checked against the store's dataclass with `bot.typed_input`).
- `plan`: the whole file's checks (each section's own, the references between them) and the
  diff per section.
- `apply`: the transaction (each section queues its writes through its store); the WeCom
  side of channel codes and group welcomes is `bot.welcome.config_remote`.
- `importer`: export, and `ConfigImporter` (plan, apply, audit) for the CLI.
"""

from bot.config_io.fileio import FORMAT_VERSION, ConfigFile, parse_text, read_file
from bot.config_io.importer import ConfigImporter, export_sections, export_text, sections_named
from bot.config_io.items import ConfigChanged, ConfigProblems
from bot.config_io.plan import Plan, SectionPlan
from bot.config_io.sections import ConfigSection, ListSection, section_order

__all__ = [
    "FORMAT_VERSION",
    "ConfigChanged",
    "ConfigFile",
    "ConfigImporter",
    "ConfigProblems",
    "ConfigSection",
    "ListSection",
    "Plan",
    "SectionPlan",
    "export_sections",
    "export_text",
    "parse_text",
    "read_file",
    "section_order",
    "sections_named",
]
