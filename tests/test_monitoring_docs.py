"""The operator guide's Monitoring section documents every metric bot/metrics.py registers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from prometheus_client.metrics import MetricWrapperBase

from bot.metrics import Metrics

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "operator-guide.md"


def monitoring_section() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index("\n## Monitoring\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def documented() -> dict[str, tuple[str, set[str]]]:
    """Exposition name -> (type, labels) from the section's metrics table."""
    rows: dict[str, tuple[str, set[str]]] = {}
    for line in monitoring_section().splitlines():
        match = re.match(r"\| `(scrm_\w+)` \| (\w+) \| ([^|]*) \|", line)
        if match:
            name, kind, labels = match.groups()
            rows[name] = (kind, set(re.findall(r"`(\w+)`", labels)) - {"le"})
    return rows


def registered() -> dict[str, tuple[str, set[str]]]:
    """Exposition name -> (type, labels) of every metric in a fresh `Metrics`."""
    metrics = Metrics()
    wrappers = [v for v in vars(metrics).values() if isinstance(v, MetricWrapperBase)]
    found = {}
    for wrapper in wrappers:
        [family] = wrapper.describe()
        name = family.name + ("_total" if family.type == "counter" else "")
        found[name] = (family.type, set(wrapper._labelnames))
    # nothing registered on the registry behind the attributes' backs
    assert {family.name for family in metrics.registry.collect()} == {
        name.removesuffix("_total") for name in found
    }
    return found


def test_every_registered_metric_is_documented_with_its_type_and_labels() -> None:
    docs, code = documented(), registered()
    assert code, "no metrics found"
    for name, (kind, labels) in code.items():
        assert name in docs, f"{name} is missing from docs/operator-guide.md → Monitoring"
        assert docs[name] == (kind, labels), f"{name}: documented {docs[name]}, is {kind, labels}"
    assert set(docs) == set(code), f"documented but not registered: {set(docs) - set(code)}"


@pytest.mark.parametrize("endpoint", ["/healthz", "/readyz", "/metrics"])
def test_endpoints_are_explained(endpoint: str) -> None:
    assert f"`{endpoint}`" in monitoring_section()
