"""Bad configuration files are one-line errors with exit code 2, for boss and the launchers alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli.main import cli


@pytest.mark.parametrize(("text", "message"), [
    ("engine: [\n", "is not valid YAML: expected the node content, but found '<stream end>' (line 2, column 1)"),
    ("- 1\n", "must be a mapping of settings"),
    ("heartbeat_timeout: soon\n", "bad setting heartbeat_timeout"),
])
def test_a_bad_config_file_is_a_one_line_error_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "boss.yaml"
    config.write_text(text)

    result = CliRunner().invoke(cli, ["--config", str(config), "ps"])

    assert result.exit_code == 2
    assert result.output.count("\n") == 1, result.output
    assert result.output.startswith("boss: ") and message in result.output
