"""Operator-written templates (welcomes, scripts, SOP steps): a small, bounded language.

See `language` for what operators may write and why, `render` for how it is checked at save
and rendered at send.
"""

from bot.templating.language import (
    MAX_OUTPUT_BYTES,
    MAX_SOURCE_BYTES,
    MAX_VALUE_CHARS,
    TemplateProblem,
)
from bot.templating.render import (
    compile_checked,
    plain_text,
    render,
    render_or_plain,
    text_problem,
    uses_name,
    variables_of,
)

__all__ = [
    "MAX_OUTPUT_BYTES",
    "MAX_SOURCE_BYTES",
    "MAX_VALUE_CHARS",
    "TemplateProblem",
    "compile_checked",
    "plain_text",
    "render",
    "render_or_plain",
    "text_problem",
    "uses_name",
    "variables_of",
]
