"""Progress on stderr for the long runs (import, copy, restore, verify --deep, rebuild): a bar
with an estimate of the time left on a terminal, and nothing at all anywhere else (a pipe, a
file, a CI log), so that output meant for programs stays clean.

The library reports progress through plain callbacks, `progress(done, total)`; this module is
the only place that draws them."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# Before this much time and this share of the work, an estimate is mostly noise.
WARM_UP_SECONDS = 2.0
WARM_UP_SHARE = 0.01
REDRAW_SECONDS = 0.1

Update = Callable[..., None]


class Eta:
    """The time left, from the average rate over the whole run so far (from the first report).

    The work arrives in bursts (a batch is read in a blink, then written for a second), so a
    rate measured over the last few reports swings between the two: the estimate an import used
    to show jumped from 2 s to 80 s and back. Over the whole run the bursts average out, and
    between two reports the estimate counts down with the clock instead of standing still."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.first: tuple[float, int] | None = None
        self.estimate: tuple[float, float] | None = None  # (when, seconds left then)

    def report(self, done: int, total: int) -> None:
        now = self.clock()
        if self.first is None:
            self.first = (now, done)
            return
        started, done_then = self.first
        elapsed, worked = now - started, done - done_then
        if total <= 0 or worked <= 0 or elapsed < WARM_UP_SECONDS or done < total * WARM_UP_SHARE:
            return
        self.estimate = (now, max(total - done, 0) * elapsed / worked)

    def seconds_left(self) -> float | None:
        """None until the run has gone on long enough to say."""
        if self.estimate is None:
            return None
        when, left = self.estimate
        return max(left - (self.clock() - when), 0.0)


def duration(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


def shown() -> bool:
    """Progress is drawn only for a person watching: stderr is a terminal that can redraw."""
    import os

    return sys.stderr.isatty() and os.environ.get("TERM", "") != "dumb"


@contextmanager
def progress(label: str, *, unit: str = "events") -> Iterator[Update | None]:
    """`update(done, total, label=None)` drawing a bar on stderr, or None when stderr is not a
    terminal. A total of 0 (not known yet) shows a spinner; `label` renames the step."""
    if not shown():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        ProgressColumn,
        SpinnerColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.text import Text

    eta = Eta()

    class Left(ProgressColumn):
        def render(self, task) -> Text:
            seconds = eta.seconds_left()
            if task.total is None or seconds is None:
                return Text("")
            return Text(f"about {duration(seconds)} left", style="progress.remaining")

    class Count(ProgressColumn):
        def render(self, task) -> Text:
            if task.total is None or unit == "bytes":
                return Text("")
            return Text(f"{task.completed:,.0f}/{task.total:,.0f} {unit}")

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        Count(),
        TimeElapsedColumn(),
        Left(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int, label: str | None = None) -> None:
            eta.report(done, total)
            bar.update(task, completed=done, total=total or None, description=label)

        yield update


@contextmanager
def counted(
    label: str, total: int, *, unit: str = "events"
) -> Iterator[Callable[[int], None] | None]:
    """As `progress`, for a callback told how much more was done each time (`advance(n)`)."""
    with progress(label, unit=unit) as update:
        if update is None:
            yield None
            return
        done, drawn = 0, 0.0

        def advance(count: int) -> None:
            # Called per line of an import: redrawn a few times a second, not 200,000 times.
            nonlocal done, drawn
            done += count
            now = time.monotonic()
            if now - drawn >= REDRAW_SECONDS or done >= total:
                drawn = now
                update(done, total)

        yield advance
