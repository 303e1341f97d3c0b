"""Configuration loading and its one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import run
from bot.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]


def test_example_config_loads_with_every_section() -> None:
    config = load_config(ROOT / "config.example.toml")
    assert config.locale.timezone == "Asia/Shanghai"
    assert config.locale.default_language == "zh_CN"
    assert str(config.storage.database) == "gridbot.db"
    assert config.outbox.rate_per_second == 25
    assert config.deadlines.urgent.accept_minutes == 30


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[bot]\ntoken = "from-file"\n[storage]\ndatabase = "a.db"\n')
    monkeypatch.setenv("GRIDBOT_BOT__TOKEN", "from-env")
    monkeypatch.setenv("GRIDBOT_CONFIG", str(path))
    config = load_config()
    assert config.require_token() == "from-env"
    assert str(config.storage.database) == "a.db"


def test_missing_token_is_one_clear_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GRIDBOT_BOT__TOKEN", raising=False)
    path = tmp_path / "config.toml"
    path.write_text('[storage]\ndatabase = "x.db"\n')
    code = run(["--config", str(path), "run"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "bot.token" in err and str(path) in err
    assert "Traceback" not in err


def test_bad_value_names_the_key_and_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[outbox]\nrate_per_second = "fast"\n')
    code = run(["--config", str(path), "db", "migrate"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "outbox.rate_per_second" in err and str(path) in err


def test_unknown_key_and_bad_toml_and_missing_file(tmp_path: Path) -> None:
    unknown = tmp_path / "u.toml"
    unknown.write_text("[bot]\ntokn = 'x'\n")
    with pytest.raises(ConfigError, match=r"bot\.tokn"):
        load_config(unknown)
    broken = tmp_path / "b.toml"
    broken.write_text("[bot\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml")
    zone = tmp_path / "z.toml"
    zone.write_text("[locale]\ntimezone = 'Mars/Olympus'\n")
    with pytest.raises(ConfigError, match=r"locale\.timezone"):
        load_config(zone)
