"""The mistakes a newcomer makes with `agent-lib` end in one clear line and a non-zero exit, no traceback."""

from __future__ import annotations

import socket

import pytest

from agent_lib.cli import main


def test_port_out_of_range_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as done:
        main(["emulator", "--port", "99999"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "99999 is out of range: a port is 0-65535" in err and "Traceback" not in err


def test_state_naming_a_file_is_refused_before_anything_starts(tmp_path, capsys):
    afile = tmp_path / "state.txt"
    afile.write_text("not a folder")
    assert main(["emulator", "--state", str(afile)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a file; it must name a folder" in err
    assert afile.read_text() == "not a folder"  # nothing lost


def test_port_in_use_names_the_port_and_the_fix(tmp_path, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main(["emulator", "--port", str(port), "--state", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"127.0.0.1:{port}" in err and "choose another --port" in err and err.count("\n") == 1
