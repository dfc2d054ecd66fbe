from __future__ import annotations

from pathlib import Path

import pytest

from server.settings import Settings, SettingsError


def test_defaults_run_on_the_embedded_database() -> None:
    settings = Settings.from_env({})
    assert settings.db_path == Path("var/minsheng.db")
    assert settings.port == 8000
    assert settings.max_body_bytes == 1024 * 1024


def test_environment_values_are_parsed() -> None:
    settings = Settings.from_env(
        {"MINSHENG_DB": "/tmp/x.db", "MINSHENG_PORT": "9001", "MINSHENG_POVERTY_LINE": "2300"}
    )
    assert settings.db_path == Path("/tmp/x.db")
    assert settings.port == 9001
    assert settings.poverty_line == 2300.0


def test_bad_value_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="MINSHENG_PORT='http'"):
        Settings.from_env({"MINSHENG_PORT": "http"})
    with pytest.raises(SettingsError, match="MINSHENG_MAX_BODY"):
        Settings.from_env({"MINSHENG_MAX_BODY": "-1"})


def test_report_queue_is_read_and_must_be_positive() -> None:
    assert Settings.from_env({}).report_queue == 8
    assert Settings.from_env({"MINSHENG_REPORT_QUEUE": "3"}).report_queue == 3
    with pytest.raises(SettingsError, match="MINSHENG_REPORT_QUEUE='0'"):
        Settings.from_env({"MINSHENG_REPORT_QUEUE": "0"})


def test_command_line_overrides_environment() -> None:
    settings = Settings.from_env({"MINSHENG_PORT": "9001"}, port=9002, host=None)
    assert settings.port == 9002
    assert settings.host == "127.0.0.1"


def test_connection_bounds_are_read_and_must_be_positive() -> None:
    settings = Settings.from_env(
        {
            "MINSHENG_REQUEST_TIMEOUT": "2.5",
            "MINSHENG_KEEP_ALIVE": "1",
            "MINSHENG_MAX_CONNECTIONS": "100",
        }
    )
    assert (settings.request_timeout, settings.keep_alive, settings.max_connections) == (
        2.5,
        1.0,
        100,
    )
    for bad in ("0", "-1", "inf", "nan", "soon"):
        with pytest.raises(SettingsError, match="MINSHENG_REQUEST_TIMEOUT"):
            Settings.from_env({"MINSHENG_REQUEST_TIMEOUT": bad})


def test_readme_lists_every_setting() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for env, _, _ in Settings.help():
        assert f"| `{env}` |" in readme, env
