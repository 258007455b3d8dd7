"""The shipped service files: the systemd unit parses (every key we rely on is there, `systemd-analyze verify`
accepts it where systemd is installed) and the crontab lines are the daemon's schedule, read by the crontab
parser the settings use, running commands the CLI accepts."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from monitor.cli import app
from monitor.resources import deploy_dir
from monitor.settings import Schedule, check_crontab
from tests.conftest import REPO

DEPLOY = deploy_dir()
UNIT = DEPLOY / "monitor.service"
HOME, ENV_FILE, EXE = "/var/lib/monitor", "/etc/monitor/monitor.env", "/opt/monitor/bin/monitor"


def unit_keys(text: str) -> dict[str, dict[str, list[str]]]:
    """A unit file as systemd reads it: [Section] headers, Key=value lines (a key may repeat), # and ; comments."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if m := re.fullmatch(r"\[([A-Za-z]+)\]", line):
            current = sections.setdefault(m.group(1), {})
            continue
        key, eq, value = line.partition("=")
        assert eq and current is not None and re.fullmatch(r"[A-Za-z]+", key), f"{UNIT.name}:{n}: not Key=value: {raw}"
        current.setdefault(key, []).append(value)
    return sections


def test_the_files_are_shipped() -> None:
    assert DEPLOY == REPO / "deploy" or DEPLOY.parts[-3:] == ("monitor", "_data", "deploy")
    assert {p.name for p in DEPLOY.iterdir()} >= {"monitor.service", "monitor.env.example", "crontab"}
    assert '"deploy" = "monitor/_data/deploy"' in (REPO / "pyproject.toml").read_text()


def test_the_unit_runs_the_daemon_hardened() -> None:
    keys = unit_keys(UNIT.read_text())
    service = {k: v[-1] for k, v in keys["Service"].items()}
    assert shlex.split(service["ExecStart"]) == [EXE, "--home", HOME, "run"]
    assert service["Restart"] == "on-failure"
    assert service["EnvironmentFile"] == ENV_FILE
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"  # SIGHUP re-reads the config
    assert service["KillMode"] == "mixed"  # SIGTERM to the daemon, not to its parse workers
    assert service["User"] == "monitor"
    hardening = {
        "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ReadWritePaths": HOME, "ProtectHome": "yes",
        "PrivateTmp": "yes", "PrivateDevices": "yes", "RestrictSUIDSGID": "yes", "CapabilityBoundingSet": "",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
    }
    assert {k: service.get(k) for k in hardening} == hardening
    assert keys["Install"]["WantedBy"] == ["multi-user.target"]
    assert "network-online.target" in keys["Unit"]["After"][0]


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    """`systemd-analyze verify` on the unit with this machine's paths (it checks that ExecStart exists); it
    reports unknown keys and bad values on stderr without failing, so stderr must be empty too."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here: the unit's keys are still checked above")
    exe = shutil.which("monitor", path=str(Path(sys.executable).parent))
    assert exe is not None
    (tmp_path / "home").mkdir()
    (tmp_path / "monitor.env").write_text((DEPLOY / "monitor.env.example").read_text())
    text = UNIT.read_text().replace(EXE, exe).replace(HOME, str(tmp_path / "home"))
    unit = tmp_path / "monitor.service"
    unit.write_text(text.replace(ENV_FILE, str(tmp_path / "monitor.env")))
    done = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr.strip()) == (0, "")
    broken = tmp_path / "broken.service"
    broken.write_text(unit.read_text().replace("Restart=on-failure", "Restart=sometimes"))
    done = subprocess.run([analyze, "verify", str(broken)], capture_output=True, text=True, timeout=60)
    assert "Restart" in done.stderr or "restart" in done.stderr  # the check above can fail


def test_the_env_example_is_key_value_lines() -> None:
    lines = [ln for ln in (DEPLOY / "monitor.env.example").read_text().splitlines() if ln and not ln.startswith("#")]
    assert lines == ["MONITOR_SMTP_PASSWORD=change-me"]


def cron_lines() -> list[tuple[str, list[str]]]:
    """(schedule, monitor argv) of each job line of the shipped crontab."""
    out = []
    for raw in (DEPLOY / "crontab").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or re.match(r"^[A-Z_]+=", line):
            continue
        fields = line.split(None, 5)
        command = fields[5]
        assert command.startswith(f"set -a; . {ENV_FILE}; {EXE} "), command
        argv = shlex.split(command.split("; ", 2)[2])
        while argv[-1].startswith(">>") or argv[-1] == "2>&1":
            argv.pop()
        out.append((" ".join(fields[:5]), argv))
    return out


def test_the_crontab_is_the_daemons_schedule() -> None:
    defaults = Schedule()
    found = {}
    for when, argv in cron_lines():
        assert check_crontab(when) == when  # the parser the settings use
        assert argv[:3] == [EXE, "--home", HOME]
        job = "poll" if argv[3:] == ["poll"] else f"{argv[-1]}_digest"
        found[job] = when
    assert found == {
        "poll": defaults.poll, "daily_digest": defaults.daily_digest, "weekly_digest": defaults.weekly_digest
    }


def test_the_crontab_commands_parse() -> None:
    """Each command, `--help` appended, is accepted by the real CLI parser."""
    commands = dict(getattr(typer.main.get_command(app), "commands", {}))
    for _when, argv in cron_lines():
        args = argv[3:]
        assert args[0] in commands, args
        r = CliRunner().invoke(app, ["--home", HOME, *args, "--help"])
        assert r.exit_code == 0, f"{args}: {r.output}"
