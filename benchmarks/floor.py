"""The numpy/scipy floor: the least any analysis of a recording must do, timed in its own process.

``python -m benchmarks.floor FILE`` reads the file with ``numpy.loadtxt`` (every column the
recording has, header lines skipped), runs one ``scipy.signal.sosfilt`` (4th-order Butterworth
low-pass at 5 Hz over the three acceleration axes) and one ``scipy.signal.find_peaks`` (on the
filtered vertical axis, peaks at least 0.25 s apart) and prints the timings as one JSON line.
"""

from __future__ import annotations

import json
import sys
import time


def main(argv: list[str]) -> int:
    t0 = time.perf_counter()
    import numpy as np
    from scipy import signal

    t_import = time.perf_counter() - t0
    path = argv[0]
    skip = 0
    rate_hz = 100.0
    with open(path, encoding="utf-8") as f:
        for line in f:
            skip += 1
            if line.startswith("# sample_rate_hz:"):
                rate_hz = float(line.split(":", 1)[1])
            if not line.startswith("#"):
                break  # the column line
    t1 = time.perf_counter()
    data = np.loadtxt(path, delimiter=",", skiprows=skip, ndmin=2)
    t_read = time.perf_counter() - t1
    t2 = time.perf_counter()
    sos = signal.butter(4, 5.0, fs=rate_hz, output="sos")
    filtered = signal.sosfilt(sos, data[:, 1:4], axis=0)
    t_filter = time.perf_counter() - t2
    t3 = time.perf_counter()
    peaks, _ = signal.find_peaks(filtered[:, 2], distance=max(1, int(0.25 * rate_hz)))
    t_peaks = time.perf_counter() - t3
    print(
        json.dumps(
            {
                "rows": int(data.shape[0]),
                "columns": int(data.shape[1]),
                "peaks": int(peaks.size),
                "import_s": t_import,
                "read_s": t_read,
                "sosfilt_s": t_filter,
                "find_peaks_s": t_peaks,
                "total_s": time.perf_counter() - t0,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
