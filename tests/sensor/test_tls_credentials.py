"""TLS and credentials end to end: a real Mosquitto with a self-signed CA (trustme) and a
password file. The commands connect with the right CA and password, refuse a wrong CA or a
wrong password in one clear line, and the password never shows in their logs (at -vv), in
`config show`, in their process arguments or in a file they write."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Mosquitto, need_tool
from tests.paths import DATA, ROOT

USER = "band-user"
RECORDING = DATA / "sim" / "jumps_chest_200hz.csv"
#: A guard against a hang, never a speed assertion.
HANG_GUARD_S = 120.0


@dataclass
class SecureBroker:
    broker: Mosquitto
    ca_file: Path
    password: str


@pytest.fixture
def secure_broker(mosquitto_factory: type[Mosquitto], tmp_path: Path) -> SecureBroker:
    trustme = pytest.importorskip("trustme")
    password = f"pw-{uuid.uuid4().hex}"
    passwd = tmp_path / "passwd"
    subprocess.run(
        [need_tool("mosquitto_passwd"), "-b", "-c", str(passwd), USER, password],
        check=True,
        capture_output=True,
    )
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_file, cert_file, key_file = (tmp_path / n for n in ("ca.pem", "cert.pem", "key.pem"))
    ca.cert_pem.write_to_path(str(ca_file))
    cert.private_key_pem.write_to_path(str(key_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    broker = mosquitto_factory(
        tls=(str(ca_file), str(cert_file), str(key_file)), extra=(f"password_file {passwd}",)
    ).start()
    return SecureBroker(broker, ca_file, password)


def home(tmp_path: Path, name: str) -> dict[str, str]:
    """An environment whose user folders (state, data, config) are inside ``tmp_path``, so
    every file the command writes can be searched afterwards."""
    base = tmp_path / name
    for sub in ("state", "data", "config", "cache"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RETROSENSE_", "XDG_"))}
    env.update(
        XDG_STATE_HOME=str(base / "state"),
        XDG_DATA_HOME=str(base / "data"),
        XDG_CONFIG_HOME=str(base / "config"),
        XDG_CACHE_HOME=str(base / "cache"),
    )
    return env


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / f"c-{uuid.uuid4().hex[:6]}.toml"
    path.write_text(text)
    return path


def retrosense(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sensor", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=HANG_GUARD_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"{proc.args} hung: {err}")
    return proc.returncode, out, err


def files_under(folder: Path) -> Iterator[Path]:
    return (p for p in folder.rglob("*") if p.is_file())


def test_right_ca_and_password_connect_and_the_password_shows_nowhere(
    secure_broker: SecureBroker, tmp_path: Path
) -> None:
    b = secure_broker
    base = f"tls-{uuid.uuid4().hex[:8]}"
    work = tmp_path / "work"
    work.mkdir()
    cfg = config(
        work,
        f'[broker]\nurl = "{b.broker.url}"\nca_file = "{b.ca_file}"\nbase_topic = "{base}"\n'
        f'outbox_path = "{work / "outbox.sqlite3"}"\ndiscovery = false\n',
    )
    env = home(work, "home")
    env.update(RETROSENSE_MQTT_USERNAME=USER, RETROSENSE_MQTT_PASSWORD=b.password)
    listen = retrosense("-vv", "listen", "--config", str(cfg), "--json", "--count", "3", env=env)
    try:
        # ps shows every user a process's arguments: the password must not be among them.
        cmdline = Path(f"/proc/{listen.pid}/cmdline").read_bytes()
        assert b.password.encode() not in cmdline
        time.sleep(0.5)  # not a timing assertion: lets the listener subscribe before events
        summary = work / "walk.summary.json"
        code, _, replay_err = finish(
            retrosense(
                *("-vv", "replay", str(RECORDING), "--config", str(cfg)),
                *("--speed", "max", "--summary", str(summary), "--band-id", "secure"),
                "--outbox",  # the configured, durable one: a file it writes
                env=env,
            )
        )
        assert code == 0, replay_err
        assert f"sent to mqtts://127.0.0.1:{b.broker.port}" in replay_err
        code, out, listen_err = finish(listen)
    finally:
        if listen.poll() is None:
            listen.kill()
            listen.communicate()
    assert code == 0, listen_err
    topics = [json.loads(line)["topic"] for line in out.splitlines()]
    assert len(topics) == 3 and all(t.startswith(f"{base}/") for t in topics)
    assert summary.is_file() and (work / "outbox.sqlite3").is_file()
    for text in (replay_err, listen_err, out):
        assert b.password not in text
    for path in files_under(work):
        assert b.password.encode() not in path.read_bytes(), path


def test_password_in_the_configured_url_is_used_and_masked(
    secure_broker: SecureBroker, tmp_path: Path
) -> None:
    b = secure_broker
    url = b.broker.url.replace("mqtts://", f"mqtts://{USER}:{b.password}@")
    cfg = config(
        tmp_path,
        f'[broker]\nurl = "{url}"\nca_file = "{b.ca_file}"\ndiscovery = false\n'
        f'outbox_path = "{tmp_path / "o.sqlite3"}"\nbase_topic = "masked"\n',
    )
    env = home(tmp_path, "home")
    code, out, err = finish(retrosense("config", "show", "--config", str(cfg), env=env))
    assert code == 0 and f"mqtts://{USER}:***@127.0.0.1:{b.broker.port}" in out
    assert b.password not in out + err
    code, _, err = finish(
        retrosense(
            *("-vv", "replay", str(RECORDING), "--config", str(cfg), "--speed", "max"),
            *("--summary", "-"),
            env=env,
        )
    )
    assert code == 0, err
    assert b.password not in err


def test_a_wrong_ca_is_refused_in_one_line(secure_broker: SecureBroker, tmp_path: Path) -> None:
    import trustme

    b = secure_broker
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    cfg = config(tmp_path, f'[broker]\nurl = "{b.broker.url}"\nca_file = "{other}"\n')
    env = home(tmp_path, "home")
    env.update(RETROSENSE_MQTT_USERNAME=USER, RETROSENSE_MQTT_PASSWORD=b.password)
    code, out, err = finish(retrosense("listen", "--config", str(cfg), "--count", "1", env=env))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("retrosense: error: "), err
    assert "certificate verify failed" in err and b.password not in err, err


def test_a_wrong_password_is_refused_in_one_line(
    secure_broker: SecureBroker, tmp_path: Path
) -> None:
    b = secure_broker
    wrong = f"not-{b.password}"
    cfg = config(tmp_path, f'[broker]\nurl = "{b.broker.url}"\nca_file = "{b.ca_file}"\n')
    env = home(tmp_path, "home")
    env.update(RETROSENSE_MQTT_USERNAME=USER, RETROSENSE_MQTT_PASSWORD=wrong)
    code, out, err = finish(retrosense("listen", "--config", str(cfg), "--count", "1", env=env))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("retrosense: error: "), err
    assert "refused" in err and "Not authorized" in err
    assert wrong not in err and b.password not in err
