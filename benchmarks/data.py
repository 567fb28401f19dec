"""The long recordings the benchmarks run on, generated once and cached under benchmarks/out/.

They come from the project's own simulator (``retrosense simulate mixed``: walking forward and
backward, jump series, pedalling, standing) when it is installed; a simulator that refuses a
long duration is asked for a shorter session, which is then repeated end to end. Without a
simulator a quick synthetic signal stands in (periodic steps and pedalling; its events are not
labelled, it only gives the detectors something to chew on). Which one was used is recorded in
the results.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import PYTHON, ROOT

#: Length of the piece asked of the simulator when it refuses the whole duration at once.
SIM_PIECE_S = 600.0


@dataclass(frozen=True)
class RecordingSpec:
    """One benchmark recording."""

    name: str
    placement: str
    rate_hz: int
    gyro: bool
    duration_s: float
    seed: int


def _simulator_digest() -> str:
    """A hash of the simulator's sources, so a changed simulator regenerates the cache."""
    h = hashlib.sha256()
    for path in sorted((ROOT / "sensor" / "simulate").rglob("*.py")):
        h.update(path.read_bytes())
    cmd = ROOT / "sensor" / "commands" / "simulate.py"
    if cmd.exists():
        h.update(cmd.read_bytes())
    return h.hexdigest()[:10]


def _simulate(
    spec: RecordingSpec, out: Path, duration_s: float
) -> subprocess.CompletedProcess[str]:
    cmd = [
        PYTHON,
        "-m",
        "sensor",
        "simulate",
        "mixed",
        "-o",
        str(out),
        "--placement",
        spec.placement,
        "--rate-hz",
        str(spec.rate_hz),
        "--gyro" if spec.gyro else "--no-gyro",
        "--seed",
        str(spec.seed),
        "--duration-s",
        f"{duration_s:g}",
    ]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=3600)


def _command(run: subprocess.CompletedProcess[str], out: Path) -> str:
    """The simulator command as a user would type it, naming the file it made."""
    args = [str(a) for a in run.args[3:]]
    args[args.index("-o") + 1] = out.name
    return "retrosense " + " ".join(args)


def _tile(src: Path, dst: Path, duration_s: float) -> int:
    """Write ``src`` repeated end to end (times shifted) until ``duration_s``; rows written."""
    from sensor.recording import RecordingReader, RecordingWriter

    reader = RecordingReader(src)
    h = reader.header
    piece = reader.read_all()
    period = 1.0 / h.sample_rate_hz
    span = float(piece.time_s[-1] - piece.time_s[0]) + period
    t0 = float(piece.time_s[0])
    with RecordingWriter(
        dst,
        placement=h.placement,
        sample_rate_hz=h.sample_rate_hz,
        body_axes=h.body_axes,
        has_gyro=h.has_gyro,
        has_hr=h.has_hr,
        device=h.device,
        extra={**h.extra, "benchmark_tiled_from": src.name},
    ) as writer:
        k = 0
        while k * span < duration_s:
            shifted = piece.select(piece.time_s - t0 + k * span < duration_s)
            if len(shifted) == 0:
                break
            from analysis.types import Samples

            writer.write(
                Samples(
                    time_s=shifted.time_s + k * span,
                    acc_g=shifted.acc_g,
                    gyro_dps=shifted.gyro_dps,
                    hr_bpm=shifted.hr_bpm,
                )
            )
            k += 1
        return writer.rows_written


def _synthetic(spec: RecordingSpec, dst: Path) -> int:
    """A stand-in when no simulator exists: periodic steps and pedalling, seeded noise."""
    from analysis.types import Placement, Samples
    from sensor.recording import RecordingWriter

    rng = np.random.default_rng(spec.seed)
    fs = float(spec.rate_hz)
    n_total = int(spec.duration_s * fs)
    with RecordingWriter(
        dst,
        placement=Placement(spec.placement),
        sample_rate_hz=fs,
        has_gyro=spec.gyro,
        device="benchmarks-synthetic",
    ) as writer:
        block = int(60 * fs)
        for start in range(0, n_total, block):
            n = min(block, n_total - start)
            t = (start + np.arange(n)) / fs
            minute = start // block
            kind = minute % 3  # 0 walk, 1 pedal, 2 stand
            acc = np.zeros((n, 3))
            acc[:, 2] = 1.0
            gyro = np.zeros((n, 3))
            if kind == 0:
                phase = 2 * np.pi * 0.9 * t  # 0.9 Hz strides, 1.8 steps/s
                acc[:, 2] += 0.35 * np.maximum(np.sin(2 * phase), 0) ** 4
                acc[:, 0] += 0.15 * np.sin(2 * phase + 0.6)
                gyro[:, 1] = 200.0 * np.sin(phase)
            elif kind == 1:
                phase = 2 * np.pi * 1.2 * t  # 72 rpm
                acc[:, 0] += 0.4 * np.cos(phase)
                acc[:, 2] += 0.4 * np.sin(phase)
                gyro[:, 1] = 60.0 * np.sin(phase)
            acc += rng.normal(0.0, 0.02, acc.shape)
            gyro += rng.normal(0.0, 2.0, gyro.shape)
            writer.write(Samples(time_s=t, acc_g=acc, gyro_dps=gyro if spec.gyro else None))
        return writer.rows_written


def ensure_recording(
    spec: RecordingSpec, data_dir: Path, reuse: bool = False
) -> tuple[Path, dict[str, Any]]:
    """The recording for ``spec`` (generated on first use) and a description of how it was made.

    The cache is keyed by a hash of the simulator's sources; with ``reuse`` the newest cached
    recording of the same spec is taken even if the simulator changed since.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    digest = _simulator_digest()
    prefix = f"{spec.name}_{spec.duration_s:g}s_seed{spec.seed}_"
    stem = prefix + digest
    path = data_dir / f"{stem}.csv"
    meta_path = data_dir / f"{stem}.meta.json"
    if reuse and not meta_path.exists():
        cached = sorted(data_dir.glob(prefix + "*.meta.json"), key=lambda p: p.stat().st_mtime)
        if cached:
            meta_path = cached[-1]
            path = meta_path.with_name(meta_path.name.replace(".meta.json", ".csv"))
    if path.exists() and meta_path.exists():
        meta: dict[str, Any] = json.loads(meta_path.read_text())
        return path, meta
    tmp = data_dir / f"{stem}.partial.csv"
    sim = _simulate(spec, tmp, spec.duration_s)
    if sim.returncode == 0:
        meta = {
            "generator": "retrosense simulate mixed",
            "command": _command(sim, path),
            "tiled": False,
        }
        for p in (tmp, tmp.with_suffix(".truth.json")):
            if p.exists():
                p.rename(data_dir / p.name.replace(".partial", ""))
    else:
        piece_s = min(SIM_PIECE_S, spec.duration_s)
        piece = data_dir / f"{stem}.piece.csv"
        sim2 = _simulate(spec, piece, piece_s)
        if sim2.returncode == 0:
            _tile(piece, path, spec.duration_s)
            meta = {
                "generator": "retrosense simulate mixed",
                "command": _command(sim2, piece),
                "tiled": True,
                "why_tiled": sim.stderr.strip()[-300:],
            }
        else:
            _synthetic(spec, path)
            meta = {
                "generator": "benchmarks/data.py synthetic (no simulator available)",
                "why": sim2.stderr.strip()[-300:],
                "tiled": False,
            }
    meta.update(
        simulator_digest=digest,
        placement=spec.placement,
        rate_hz=spec.rate_hz,
        gyro=spec.gyro,
        duration_s=spec.duration_s,
        seed=spec.seed,
        bytes=path.stat().st_size,
    )
    meta_path.write_text(json.dumps(meta, indent=1))
    return path, meta


def load_body(path: Path) -> tuple[Any, Any]:
    """The whole recording in memory as one body-frame ``Samples``, and its ``StreamInfo``."""
    from analysis.types import Samples
    from sensor.sources import open_source

    source = open_source(path)
    return Samples.concat(list(source.body_chunks())), source.info
