"""/reload through the running scheduler: tasks.yaml is read again at once."""

from __future__ import annotations

from datetime import datetime

from superbot.plan.load import read_plan_file
from superbot.scheduler import Runner
from superbot.service.supervision import PlanProblem, Reloaded


class TasksFileReload:
    """A broken file is answered with every error and changes nothing; a valid one is applied
    by the :class:`Runner`, as its file watch would, schedules included."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner

    def __call__(self, now: datetime) -> Reloaded:
        loaded = read_plan_file(self.runner.plan_file.path)
        if loaded.plan is None:
            problems = tuple(PlanProblem(p.line, p.col, p.text) for p in loaded.errors)
            return Reloaded(loaded.path, problems, None)
        result = self.runner.reload_plan(now, force=True)
        self.runner.reschedule()
        return Reloaded(loaded.path, (), result)
