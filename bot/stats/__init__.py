"""Operating statistics: new and lost customers, retention, group joins and SOP counts, per
corp-time day, per staff member and per channel (recorder.py writes, report.py reads)."""

from bot.stats.recorder import StatsRecorder, record_sop
from bot.stats.report import StatsRow, read_stats

__all__ = ["StatsRecorder", "StatsRow", "read_stats", "record_sop"]
