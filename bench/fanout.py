"""A reminder round's fan-out: the real dispatcher and python-telegram-bot against the fake
Bot API enforcing Telegram's limits (30 messages/s in all, 1/s to a chat, 20/min to a group).

    .venv/bin/python bench/fanout.py                      # 100, 1,000 and 5,000 tasks
    .venv/bin/python bench/fanout.py --sizes 100 --scale 2

The figure is the rate achieved as a share of the rate the limits allow for this round: the
floor is the shortest time any sender could take under the same limits (the round's
messages at 30/s, and no chat faster than 1/s). Target: ≥ 0.90 with no 429 answer.

``--scale N`` (default 4) runs Telegram's clock N times faster on both sides — the fake
allows 30·N/s, N/s to a chat, 20·N/min to a group, and the channel's pace is scaled alike —
so every ratio is Telegram's while a 12,000-message round takes under a minute and a half.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.telegram_api import FakeTelegram, FloodLimits  # noqa: E402

from superbot.channels.telegram import TelegramChannel, telegram_bot  # noqa: E402
from superbot.domain.model import Plan  # noqa: E402
from superbot.plan.load import parse_plan  # noqa: E402
from superbot.service.outbox import Dispatcher, NewItem, dedupe_key  # noqa: E402
from superbot.service.ports import Button, Message, Pace, Rate  # noqa: E402
from superbot.store.db import make_engine, migrate  # noqa: E402
from superbot.store.outbox import SqlOutbox  # noqa: E402
from synthetic import Shape, plan_yaml  # noqa: E402

SIZES = (100, 1000, 5000)
SCALE = 4.0
OVERALL, PER_CHAT = 30.0, 1.0  # Telegram's messages a second


@dataclass(frozen=True)
class Fanout:
    tasks: int
    messages: int
    chats: int
    seconds: float
    floor: float  # the least time the limits allow, at Telegram's own clock
    too_many: int  # 429 answers

    @property
    def ratio(self) -> float:
        return self.floor / self.seconds

    def row(self) -> str:
        rate = self.messages / self.seconds
        return (
            f"| {self.tasks:,} | {self.messages:,} | {self.chats:,} | {self.seconds:.1f} s "
            f"| {rate:.1f}/s | {self.floor:.1f} s | {self.ratio:.2f} | {self.too_many} |"
        )


HEADER = (
    "| tasks | messages | chats | round (Telegram time) | rate | floor | ratio | 429s |\n"
    "|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def round_items(plan: Plan) -> list[NewItem]:
    """The round a reminder makes: to every owner of a lead department, a head and then one
    message per task with its answer buttons."""
    chats = {person.id: str(100_000_000 + n) for n, person in enumerate(plan.people)}
    led: dict[str, list[str]] = {}
    for task in plan.tasks:
        led.setdefault(task.lead, []).append(task.id)
    buttons = ((Button("30%", "p:x:30"), Button("60%", "p:x:60"), Button("90%", "p:x:90")),)
    items = []
    for person in plan.people:
        tasks = led.get(person.department_id, [])
        if not tasks:
            continue
        chat = chats[person.id]
        parts = [
            ("head", Message("【督查提醒】", f"<b>{person.name}</b>：本月请报送 {len(tasks)} 项"))
        ]
        parts += [
            (f"task:{t}", Message("【督查提醒】", f"<b>{t}</b> 进度 50%", buttons=buttons))
            for t in tasks
        ]
        for seq, (key, message) in enumerate(parts):
            items.append(
                NewItem(
                    dedupe_key("reminder", "2022-12", "telegram", chat, key),
                    "reminder",
                    "2022-12",
                    "telegram",
                    chat,
                    message,
                    person_id=person.id,
                    seq=seq,
                )
            )
    return items


def floor_seconds(items: list[NewItem]) -> float:
    per_chat = Counter(item.recipient for item in items)
    return max(len(items) / OVERALL, max((n - 1) / PER_CHAT for n in per_chat.values()))


class ScaledTelegram(TelegramChannel):
    pass


async def fan_out(tasks: int, scale: float, folder: Path) -> Fanout:
    loaded = parse_plan(plan_yaml(Shape.of(tasks)).encode(), "bench.yaml")
    assert loaded.plan is not None, loaded.errors
    items = round_items(loaded.plan)
    engine = make_engine(f"sqlite:///{folder / f'fanout-{tasks}.db'}")
    migrate(engine)
    outbox = SqlOutbox(engine)
    outbox.enqueue(items, datetime.now(UTC))
    with FakeTelegram() as fake:
        for chat in {int(item.recipient) for item in items}:
            fake.add_user(chat)
        fake.limit_floods(FloodLimits(scale=scale))
        channel = ScaledTelegram(telegram_bot(fake.token, fake.url))
        channel.pace = Pace(
            per_recipient=Rate(1, 1.0 / scale),
            per_group=Rate(20, 60.0 / scale),
            overall=Rate(30, 1.0 / scale),
            group=TelegramChannel.pace.group,
        )
        await channel._initialize()  # getMe before the clock starts, as a running bot has
        dispatcher = Dispatcher(
            outbox, {"telegram": channel}, clock=lambda: datetime.now(UTC), sleep=asyncio.sleep
        )
        started = time.perf_counter()
        report = await dispatcher.drain("reminder", "2022-12", timedelta(minutes=10))
        elapsed = time.perf_counter() - started
        await channel.aclose()
        too_many = fake.too_many
    engine.dispose()
    assert report.sent == len(items), report
    return Fanout(
        tasks,
        len(items),
        len({i.recipient for i in items}),
        elapsed * scale,
        floor_seconds(items),
        too_many,
    )


def run(sizes: tuple[int, ...], scale: float) -> list[Fanout]:
    with tempfile.TemporaryDirectory(prefix="superbot-fanout-") as folder:
        return [asyncio.run(fan_out(size, scale, Path(folder))) for size in sizes]


def table(results: list[Fanout], scale: float) -> str:
    rows = "\n".join(r.row() for r in results)
    return f"Telegram fan-out (clock ×{scale:g}):\n{HEADER}\n{rows}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", type=lambda s: tuple(int(n) for n in s.split(",") if n), default=SIZES
    )
    parser.add_argument("--scale", type=float, default=SCALE)
    args = parser.parse_args()
    print(table(run(args.sizes, args.scale), args.scale))
    return 0


if __name__ == "__main__":
    sys.exit(main())
