"""What every bench module shares: Django set-up, timing and the one table format (bench/run).

A bench module (bench/<topic>.py) exposes `rows(*, repeat)` returning a list of `Row`: each row
is one line of the issue-12 table, timed `repeat` times on the already generated dataset
(bench/generate.py). Figures are whole-operation wall-clock seconds; nothing here asserts.
"""
import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "secrecy.settings")


def setup_django():
    import django

    django.setup()


@dataclasses.dataclass
class Row:
    what: str
    samples: list  # seconds, one per run
    target: str = ""
    queries: int | None = None
    note: str = ""

    @property
    def n(self):
        return len(self.samples)

    def quantile(self, q):
        ordered = sorted(self.samples)
        if not ordered:
            return float("nan")
        # Nearest-rank: p95 of 30 samples is the 29th, never an interpolation below a real sample.
        rank = max(1, min(len(ordered), -(-int(q * 100) * len(ordered) // 100)))
        return ordered[rank - 1]

    def cells(self):
        ms = lambda s: f"{s * 1000:.0f} ms" if s < 10 else f"{s:.1f} s"  # noqa: E731
        if not self.samples:
            return [self.what, "0", "", "", "", "" if self.queries is None else str(self.queries), self.target, self.note]
        return [self.what, str(self.n), ms(min(self.samples)), ms(statistics.median(self.samples)),
                ms(self.quantile(0.95)), "" if self.queries is None else str(self.queries), self.target, self.note]


HEADER = ["What", "n", "min", "median", "p95", "queries", "target (p95)", "note"]


def table(rows):
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def timed(fn, *, repeat, warmup=1):
    """Run fn() warmup + repeat times; return (samples in seconds, queries of the last run)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        fn()
    samples, queries = [], None
    for i in range(repeat):
        if i == repeat - 1:
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                fn()
                samples.append(time.perf_counter() - start)
            queries = len(ctx.captured_queries)
        else:
            start = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - start)
    return samples, queries
