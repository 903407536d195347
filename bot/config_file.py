"""Loading settings: a TOML file of `SCRM_*` keys, the environment, and several corps.

One deployment may serve several corps (brands). The file then has a `[corps.<slug>]` table
per corp; keys at the top of the file are shared by every corp, the environment overrides
those, and a corp's own table overrides both:

    SCRM_REDIS_URL = "redis://127.0.0.1:6379/0"
    SCRM_PUBLIC_URL = "https://scrm.example.com"

    [corps.brand-a]
    SCRM_CORP_ID = "ww1111"
    ...

Each corp is served under `/corp/<slug>/` (its callback at `/corp/<slug>/wecom/callback`),
and its public URL is the shared one plus that path unless its table sets its own.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.config import KNOWN_KEYS, ConfigError, Settings, settings_from_mapping

CORPS_TABLE = "corps"
_SLUG_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


@dataclass(frozen=True, slots=True)
class CorpConfig:
    """One corp of a deployment: the slug in its paths, and its validated settings."""

    slug: str
    settings: Settings

    @property
    def path(self) -> str:
        """Where its routes are mounted: `/corp/<slug>/`."""
        return f"/corp/{self.slug}/"


@dataclass(frozen=True, slots=True)
class ConfigSource:
    """A config file's keys shared by every corp, and each corp's own table (none: one corp)."""

    shared: dict[str, Any]
    corps: dict[str, dict[str, Any]]


def read_config_file(path: Path) -> ConfigSource:
    """Parse the TOML file; every unknown key or malformed corp table is a `ConfigError`."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("--config", f"找不到文件 {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("--config", f"无法读取 {path}：{exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("--config", f"{path} 不是有效的 TOML：{exc}") from None
    corps = data.pop(CORPS_TABLE, {})
    _check_keys(data, "", path)
    if not isinstance(corps, dict):
        raise ConfigError(CORPS_TABLE, "应为表：每个企业一节 [corps.<简称>]")
    for slug, table in corps.items():
        if not _SLUG_RE.fullmatch(slug):
            raise ConfigError(
                f"{CORPS_TABLE}.{slug}", "企业简称应为 1-32 位小写字母、数字、_ 或 -（用在网址中）"
            )
        if not isinstance(table, dict):
            raise ConfigError(
                f"{CORPS_TABLE}.{slug}", "应为表 [corps.<简称>]，写该企业的 SCRM_* 键"
            )
        _check_keys(table, f"{CORPS_TABLE}.{slug}.", path)
    return ConfigSource(data, corps)


def _check_keys(table: Mapping[str, Any], where: str, path: Path) -> None:
    for key in table:
        if key not in KNOWN_KEYS:
            raise ConfigError(
                f"{where}{key}", f"{path} 中有未知的键；可用的键：{', '.join(KNOWN_KEYS)}"
            )


def _environment(environ: Mapping[str, str] | None) -> dict[str, str]:
    env = os.environ if environ is None else environ
    return {key: value for key, value in env.items() if key in KNOWN_KEYS}


def load_settings(
    config_file: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    corp: str | None = None,
) -> Settings:
    """The settings of one corp: the file (if any) and the environment, which wins over the
    file's shared keys; with `[corps.*]` tables, `corp` names the one (its table wins)."""
    source = read_config_file(Path(config_file)) if config_file else ConfigSource({}, {})
    if not source.corps:
        if corp:
            raise ConfigError("--corp", "配置文件中没有 [corps.*]，无需 --corp")
        return settings_from_mapping(source.shared | _environment(environ))
    if not corp:
        raise ConfigError("--corp", f"配置文件中有多个企业，请用 --corp 指定：{_names(source)}")
    if corp not in source.corps:
        raise ConfigError("--corp", f"配置文件中没有企业 {corp!r}；可用：{_names(source)}")
    return _corp(source, corp, _environment(environ)).settings


def load_corps(
    config_file: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> list[CorpConfig]:
    """Every corp the deployment serves; a file without `[corps.*]` is one corp, slug ""."""
    source = read_config_file(Path(config_file)) if config_file else ConfigSource({}, {})
    env = _environment(environ)
    if not source.corps:
        return [CorpConfig("", settings_from_mapping(source.shared | env))]
    corps = [_corp(source, slug, env) for slug in sorted(source.corps)]
    seen: dict[tuple[str, str], str] = {}
    for corp in corps:
        same = (corp.settings.corp_id, corp.settings.key_prefix)
        if same in seen:  # they would read and write each other's keys
            raise ConfigError(
                f"{CORPS_TABLE}.{corp.slug}",
                f"与 {seen[same]} 的 SCRM_CORP_ID 和 SCRM_KEY_PREFIX 都相同；同一企业只配置一次",
            )
        seen[same] = corp.slug
    return corps


def _corp(source: ConfigSource, slug: str, env: dict[str, str]) -> CorpConfig:
    table = source.corps[slug]
    try:
        settings = settings_from_mapping(source.shared | env | table)
    except ConfigError as exc:
        raise ConfigError(f"{CORPS_TABLE}.{slug}.{exc.key}", exc.problem) from None
    if "SCRM_PUBLIC_URL" not in table:
        settings = replace(settings, public_url=f"{settings.public_url}/corp/{slug}")
    return CorpConfig(slug, settings)


def _names(source: ConfigSource) -> str:
    return "、".join(sorted(source.corps))
