"""Settings from the environment: defaults, one clear error naming the variable, the secret."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from forum.config import DEFAULT_QUICK_EXIT_URL, ConfigError, Settings, load

LONG_SECRET = "a-long-enough-secret-for-tests"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """An environment whose data directory is private to the test."""
    return {"FORUM_DATA_DIR": str(tmp_path / "data")}


def test_defaults_listen_on_localhost_8080(env: dict[str, str]) -> None:
    settings = load(env)
    assert settings.host == "127.0.0.1"
    assert settings.port == 8080


def test_without_database_url_the_embedded_database_is_used(env: dict[str, str]) -> None:
    assert load(env).database_url is None


def test_data_dir_defaults_to_var_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load({})
    assert settings.data_dir == tmp_path / "var"
    assert settings.data_dir.is_absolute()


def test_empty_variables_count_as_unset(env: dict[str, str]) -> None:
    settings = load({**env, "DATABASE_URL": "", "FORUM_HOST": "", "FORUM_PORT": ""})
    assert (settings.database_url, settings.host, settings.port) == (None, "127.0.0.1", 8080)


def test_values_from_the_environment_are_used(env: dict[str, str], tmp_path: Path) -> None:
    settings = load(
        {
            **env,
            "DATABASE_URL": "postgresql://forum@db.example:5433/forum",
            "FORUM_HOST": "192.0.2.10",
            "FORUM_PORT": "9000",
        }
    )
    assert settings == Settings(
        database_url="postgresql://forum@db.example:5433/forum",
        data_dir=tmp_path / "data",
        host="192.0.2.10",
        port=9000,
        secret=settings.secret,
    )


def test_postgres_scheme_is_accepted_as_well(env: dict[str, str]) -> None:
    assert load({**env, "DATABASE_URL": "postgres://db.example/forum"}).database_url == (
        "postgres://db.example/forum"
    )


@pytest.mark.parametrize(
    "url",
    [
        "mysql://db.example/forum",
        "db.example/forum",
        "http://db.example/forum",
        "sqlite:///forum.db",
    ],
)
def test_database_url_with_another_scheme_is_refused_naming_the_variable(
    env: dict[str, str], url: str
) -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load({**env, "DATABASE_URL": url})


def test_database_url_with_a_bad_port_is_refused_naming_the_variable(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load({**env, "DATABASE_URL": "postgresql://db.example:port/forum"})


@pytest.mark.parametrize("port", ["0", "65536", "-1", "100000"])
def test_port_out_of_range_is_refused_naming_the_variable(env: dict[str, str], port: str) -> None:
    with pytest.raises(ConfigError, match="FORUM_PORT"):
        load({**env, "FORUM_PORT": port})


@pytest.mark.parametrize("port", ["http", "80a", "8080.0", " "])
def test_port_that_is_not_a_number_is_refused_naming_the_variable(
    env: dict[str, str], port: str
) -> None:
    with pytest.raises(ConfigError, match="FORUM_PORT"):
        load({**env, "FORUM_PORT": port})


@pytest.mark.parametrize("port", ["1", "65535"])
def test_ports_at_the_edges_of_the_range_are_accepted(env: dict[str, str], port: str) -> None:
    assert load({**env, "FORUM_PORT": port}).port == int(port)


def test_config_error_is_one_line(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as caught:
        load({**env, "FORUM_PORT": "seventy"})
    assert "\n" not in str(caught.value)


def test_secret_is_generated_into_the_data_dir(env: dict[str, str], tmp_path: Path) -> None:
    settings = load(env)
    stored = (tmp_path / "data" / "secret").read_text().strip()
    assert settings.secret == stored.encode()
    assert len(settings.secret) >= 32


def test_generated_secret_is_readable_only_by_its_owner(
    env: dict[str, str], tmp_path: Path
) -> None:
    load(env)
    mode = stat.S_IMODE((tmp_path / "data" / "secret").stat().st_mode)
    assert mode == 0o600


def test_generated_secret_is_reused_by_the_next_start(env: dict[str, str]) -> None:
    assert load(env).secret == load(env).secret


def test_separate_data_dirs_get_different_secrets(tmp_path: Path) -> None:
    first = load({"FORUM_DATA_DIR": str(tmp_path / "one")})
    second = load({"FORUM_DATA_DIR": str(tmp_path / "two")})
    assert first.secret != second.secret


def test_forum_secret_from_the_environment_is_used_and_nothing_is_written(
    env: dict[str, str], tmp_path: Path
) -> None:
    settings = load({**env, "FORUM_SECRET": LONG_SECRET})
    assert settings.secret == LONG_SECRET.encode()
    assert not (tmp_path / "data" / "secret").exists()


def test_forum_secret_too_short_is_refused_naming_the_variable(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="FORUM_SECRET"):
        load({**env, "FORUM_SECRET": "short"})


def test_unusable_data_dir_is_refused_naming_the_variable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError, match="FORUM_DATA_DIR"):
        load({"FORUM_DATA_DIR": str(blocker / "data")})


def test_empty_secret_file_is_refused_naming_the_variable(
    env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "secret").write_text("")
    with pytest.raises(ConfigError, match="FORUM_DATA_DIR"):
        load(env)


def test_quick_exit_goes_to_a_neutral_site_by_default(env: dict[str, str]) -> None:
    assert load(env).quick_exit_url == DEFAULT_QUICK_EXIT_URL
    assert DEFAULT_QUICK_EXIT_URL.startswith("https://")


def test_quick_exit_url_can_be_set_per_forum(env: dict[str, str]) -> None:
    url = "https://www.example.org/weather?city=Lyon"
    assert load({**env, "FORUM_QUICK_EXIT_URL": url}).quick_exit_url == url


@pytest.mark.parametrize(
    "url",
    [
        "/weather",
        "www.bbc.co.uk/weather",
        "javascript:alert(1)",
        "ftp://example.org/",
        "https://",
        "https://example.org/\nSet-Cookie: x",
    ],
)
def test_quick_exit_url_that_is_not_an_absolute_web_address_is_refused_in_one_line(
    env: dict[str, str], url: str
) -> None:
    with pytest.raises(ConfigError, match="FORUM_QUICK_EXIT_URL") as caught:
        load({**env, "FORUM_QUICK_EXIT_URL": url})
    assert "\n" not in str(caught.value)


def test_benchmark_rate_limit_lift_is_off_unless_asked(tmp_path: Path) -> None:
    assert not load({"FORUM_DATA_DIR": str(tmp_path)}).benchmark_no_rate_limits
    env = {"FORUM_DATA_DIR": str(tmp_path), "FORUM_BENCHMARK_NO_RATE_LIMITS": "1"}
    assert load(env).benchmark_no_rate_limits


def test_a_bad_benchmark_flag_names_the_variable(tmp_path: Path) -> None:
    env = {"FORUM_DATA_DIR": str(tmp_path), "FORUM_BENCHMARK_NO_RATE_LIMITS": "yes"}
    with pytest.raises(ConfigError, match="FORUM_BENCHMARK_NO_RATE_LIMITS"):
        load(env)


def test_operations_settings_have_safe_defaults(env: dict[str, str]) -> None:
    settings = load(env)

    assert settings.shutdown_seconds == 5
    assert settings.db_acquire_seconds == 5
    assert settings.db_statement_seconds == 10
    assert settings.log_format == "text"
    assert settings.metrics_from == ()


def test_operations_settings_are_read(env: dict[str, str]) -> None:
    settings = load(
        {
            **env,
            "FORUM_SHUTDOWN_SECONDS": "12.5",
            "FORUM_DB_ACQUIRE_SECONDS": "0.5",
            "FORUM_DB_STATEMENT_SECONDS": "120",
            "FORUM_LOG_FORMAT": "json",
            "FORUM_METRICS_FROM": "10.0.0.0/8, 192.0.2.7",
        }
    )

    assert settings.shutdown_seconds == 12.5
    assert settings.db_acquire_seconds == 0.5
    assert settings.db_statement_seconds == 120
    assert settings.log_format == "json"
    assert [str(n) for n in settings.metrics_from] == ["10.0.0.0/8", "192.0.2.7/32"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FORUM_SHUTDOWN_SECONDS", "soon"),
        ("FORUM_SHUTDOWN_SECONDS", "0"),
        ("FORUM_SHUTDOWN_SECONDS", "nan"),
        ("FORUM_DB_ACQUIRE_SECONDS", "-1"),
        ("FORUM_DB_STATEMENT_SECONDS", "inf"),
        ("FORUM_LOG_FORMAT", "xml"),
        ("FORUM_METRICS_FROM", "everyone"),
    ],
)
def test_a_bad_operations_setting_is_refused_in_one_line_naming_it(
    env: dict[str, str], name: str, value: str
) -> None:
    with pytest.raises(ConfigError, match=name) as caught:
        load({**env, name: value})
    assert "\n" not in str(caught.value)
