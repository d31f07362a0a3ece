"""Settings: the file, the environment over it, and errors that name the setting."""

from __future__ import annotations

import pytest

from gateway.ledger import Ledger
from gateway.settings import SettingsError, load_settings


def test_environment_wins_over_the_file(tmp_path):
    config = tmp_path / "fakturaport.toml"
    config.write_text('listen = "127.0.0.1:9000"\nlog_level = "DEBUG"\n[worker]\nconcurrency = 4\n')
    settings = load_settings(
        config, environ={"FAKTURAPORT_LISTEN": "0.0.0.0:8081", "FAKTURAPORT_DATA_DIR": "/srv/fp"}
    )
    assert settings.listen == "0.0.0.0:8081"
    assert settings.log_level == "DEBUG"
    assert settings.worker.concurrency == 4
    assert settings.db_url == "sqlite+aiosqlite:////srv/fp/fakturaport.db"


def test_an_unknown_setting_is_named(tmp_path):
    config = tmp_path / "fakturaport.toml"
    config.write_text("listne = '127.0.0.1:9000'\n")
    with pytest.raises(SettingsError, match="listne"):
        load_settings(config, environ={})


@pytest.mark.parametrize(
    "url",
    [
        "sqlite+aiosqlite://",
        "sqlite+aiosqlite:///:memory:",
        "sqlite+aiosqlite:///file:ledger?mode=memory&cache=shared&uri=true",
    ],
)
def test_an_in_memory_ledger_is_refused_by_name(url):
    with pytest.raises(SettingsError, match="database_url: an in-memory SQLite database"):
        load_settings(environ={"FAKTURAPORT_DATABASE_URL": url})


@pytest.mark.parametrize("url", ["mysql+aiomysql://root@localhost/fp", "not a url"])
def test_a_database_the_ledger_cannot_use_is_refused_by_name(url):
    with pytest.raises(SettingsError, match="database_url"):
        load_settings(environ={"FAKTURAPORT_DATABASE_URL": url})


@pytest.mark.parametrize(
    "url", ["postgresql+psycopg://postgres@127.0.0.1:5432/fp", "sqlite+aiosqlite:///var/fp.db"]
)
def test_a_server_or_a_file_is_accepted(url):
    assert load_settings(environ={"FAKTURAPORT_DATABASE_URL": url}).db_url == url


async def test_the_ledger_refuses_an_in_memory_database_before_opening_it():
    with pytest.raises(ValueError, match="in-memory SQLite"):
        await Ledger.open("sqlite+aiosqlite://")


def test_every_command_reports_a_bad_setting_without_a_traceback(monkeypatch, capsys):
    from gateway.cli import main

    monkeypatch.setenv("FAKTURAPORT_DATABASE_URL", "sqlite+aiosqlite://")
    assert main(["tenant", "create", "acme"]) == 2
    assert capsys.readouterr().err.startswith("fakturaport tenant: setting database_url:")
