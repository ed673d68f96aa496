"""/reload through the running scheduler: tasks.yaml is read again at once."""

from __future__ import annotations

from datetime import datetime

from superbot.scheduler import Runner
from superbot.service.supervision import PlanProblem, Reloaded


class TasksFileReload:
    """A broken file is answered with every error and changes nothing; a valid one is applied
    by the :class:`Runner`, as its file watch would, schedules included. The file is read in
    a worker thread: the bot answers everyone else meanwhile."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner

    async def __call__(self, now: datetime) -> Reloaded:
        loaded, result = await self.runner.reload_now(now)
        if loaded.plan is None:
            problems = tuple(PlanProblem(p.line, p.col, p.text) for p in loaded.errors)
            return Reloaded(loaded.path, problems, None)
        self.runner.reschedule()
        return Reloaded(loaded.path, (), result)
