"""Cold forecast time for one 104-point weekly series: the median over fresh interpreters.

Each run starts a new Python, imports `crm_graphql.ml.forecast` (timed apart), then times the
first `forecast(series, 13)` call (cold) and three more (warm, the fastest is kept). Runs are
repeated with OpenBLAS limited to one thread: statsmodels' fits use BLAS on tiny matrices, and
OpenBLAS threads contending for a busy machine can make them several times slower.

    python benchmarks/forecast.py [runs]    # default: 7
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

CHILD = """
import json, time
start = time.perf_counter()
import numpy as np, pandas as pd
from crm_graphql.ml.forecast import forecast
imported = time.perf_counter() - start
t = np.arange(104)
noise = np.random.default_rng(7).normal(0, 5, 104)
values = 50 + 0.2 * t + 12 * np.sin(2 * np.pi * t / 52) + noise  # trend, yearly season
series = pd.Series(values, index=pd.date_range("2023-01-02", periods=104, freq="W-MON", tz="UTC"))
times = []
for _ in range(4):
    start = time.perf_counter()
    result = forecast(series, 13)
    times.append(time.perf_counter() - start)
print(json.dumps({"import": imported, "cold": times[0], "warm": min(times[1:]), "model": result.model}))
"""

SETTINGS = {"default BLAS threads": {}, "OPENBLAS_NUM_THREADS=1": {"OPENBLAS_NUM_THREADS": "1"}}


def measure(runs: int, env: dict[str, str]) -> list[dict[str, float | str]]:
    command = [sys.executable, "-c", CHILD]
    return [
        json.loads(subprocess.run(command, env=os.environ | env, capture_output=True, check=True).stdout)
        for _ in range(runs)
    ]


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    print(f"104 weekly points, horizon 13, {runs} fresh processes per setting; load average {os.getloadavg()[0]:.1f}")
    for label, env in SETTINGS.items():
        samples = measure(runs, env)
        cold = sorted(float(s["cold"]) * 1000 for s in samples)
        warm = statistics.median(float(s["warm"]) * 1000 for s in samples)
        imported = statistics.median(float(s["import"]) * 1000 for s in samples)
        print(
            f"{label:>24}: cold forecast median {statistics.median(cold):.0f} ms (range {cold[0]:.0f}-{cold[-1]:.0f}),"
            f" warm {warm:.0f} ms, import {imported:.0f} ms; chose {samples[0]['model']}"
        )


if __name__ == "__main__":
    main()
