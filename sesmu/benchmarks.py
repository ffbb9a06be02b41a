"""The benchmarks run by `manage.py bench`.

Each app may have a `benchmarks.py` whose functions register themselves with
`@benchmark("name")`; the command imports those modules, so a new app adds
benches without touching the command. A benchmark writes its results through
`Report.metric`: one JSON object per line on stdout, so a script (or CI) reads
them with a line-by-line JSON parser; everything else (progress) goes to
stderr.

Times on a shared machine are noisy: a metric may be a ratio against a
baseline measured in the same run, and then it names that baseline."""

from __future__ import annotations

import importlib
import json
import math
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any, TextIO

from django.apps import apps
from django.conf import settings


@dataclass(frozen=True)
class Benchmark:
    name: str
    run: Callable[[Report], None]
    description: str


_registry: dict[str, Benchmark] = {}


def benchmark(name: str) -> Callable[[Callable[[Report], None]], Callable[[Report], None]]:
    """Register a function taking a Report as the benchmark `name`."""

    def register(function: Callable[[Report], None]) -> Callable[[Report], None]:
        if name in _registry and _registry[name].run is not function:
            raise RuntimeError(f"Two benchmarks are named {name!r}.")
        description = (function.__doc__ or "").strip().split("\n")[0]
        _registry[name] = Benchmark(name=name, run=function, description=description)
        return function

    return register


def discover() -> dict[str, Benchmark]:
    """Import the `benchmarks` module of every project app that has one and
    return the benchmarks in registration order (apps in INSTALLED_APPS
    order), which is also the order in which a full run makes sense: an app
    loads its data in its first bench."""
    for app_config in apps.get_app_configs():
        # Project apps sit at the root; installed packages (even inside
        # .venv/ under the root) are not ours to benchmark.
        if Path(app_config.path).parent != Path(settings.BASE_DIR):
            continue
        module_name = f"{app_config.name}.benchmarks"
        if find_spec(module_name) is not None:
            importlib.import_module(module_name)
    return dict(_registry)


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the values lie (linear
    interpolation between the closest ranks, as numpy's default)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower, upper = math.floor(position), math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


class Report:
    """What one benchmark prints: metric lines on stdout, progress on stderr."""

    def __init__(self, *, bench: str, stdout: TextIO | None = None,
                 stderr: TextIO | None = None) -> None:
        self.bench = bench
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.lines: list[dict[str, Any]] = []

    def metric(self, *, metric: str, value: float, target: float | None,
               kind: str | None = None, baseline: str | None = None,
               higher_is_better: bool = False) -> dict[str, Any]:
        """One result. `target` is a limit (a floor when higher is better);
        `ok` is null when there is no target. `baseline` names what a ratio
        was measured against."""
        ok = None
        if target is not None:
            ok = value >= target if higher_is_better else value <= target
        line = {
            "bench": self.bench, "kind": kind, "metric": metric,
            "value": round(value, 3) if isinstance(value, float) else value,
            "target": target, "baseline": baseline, "ok": ok,
        }
        self.lines.append(line)
        self.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
        self.stdout.flush()
        return line

    def progress(self, message: str) -> None:
        self.stderr.write(f"[{self.bench}] {message}\n")
        self.stderr.flush()


def timings_summary(milliseconds: list[float]) -> dict[str, float]:
    return {
        "p50_ms": statistics.median(milliseconds),
        "p95_ms": percentile(milliseconds, 0.95),
    }
