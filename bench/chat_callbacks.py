"""The chat apps: how long superbot takes over one callback, against the least work any
callback endpoint does with it.

A 企业微信 callback (the strictest of the three: signed and AES-encrypted XML) is measured
from the request to its answer in the outbox: the size, timestamp and signature checked,
the body decrypted and read, the sender identified, the text read and recorded as a chat
reply is (rights, the report, the new light), the answer rendered and enqueued, the message
id kept. Through the HTTP server's own Starlette app (ASGI, no network).

The floor, timed right before it and turn about: the same requests to a Starlette route on
the same kind of app that reads the body and inserts it as one row into SQLite — an
endpoint that checks nothing, records nothing about tasks and answers nobody.

    .venv/bin/python bench/chat_callbacks.py [--callbacks 300] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes import wecom_api  # noqa: E402

from superbot.cli.runtime import Runtime  # noqa: E402
from superbot.config import Config  # noqa: E402
from superbot.domain.model import Account  # noqa: E402
from superbot.plan.load import read_plan_file  # noqa: E402
from superbot.service.supervision import Supervision  # noqa: E402
from superbot.service.sync import sync  # noqa: E402
from superbot.store.db import make_engine, migrate  # noqa: E402
from superbot.store.sql import SqlStore  # noqa: E402

# Owners who lead one task each: a text needs no task name (and one names it anyway).
OWNERS = {"limh": "zcq8-1", "xuhb": "zcq8-8", "sunlp": "jj-4"}


class Clock:
    def __init__(self) -> None:
        self.now = wecom_api.wall_clock()

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now


def seeded(folder: Path) -> Path:
    path = folder / "seed.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    loaded = read_plan_file(ROOT / "tests" / "plan.yaml")
    assert loaded.plan is not None
    store = SqlStore(engine)
    sync(store, loaded.plan, now=Clock()(), source="bench", sha256=loaded.sha256, dry_run=False)
    from superbot.store.accounts import SqlAccounts

    accounts = SqlAccounts(engine)
    for person in OWNERS:
        accounts.bind(person, Account("wecom", f"wx-{person}"), Clock()())
    engine.dispose()
    return path


def requests(count: int) -> list[tuple[str, bytes]]:
    """``count`` signed, encrypted texts from the owners, each with its own message id."""
    made = []
    owners = list(OWNERS.items())
    for n in range(count):
        person, task = owners[n % len(owners)]
        fields = {
            "ToUserName": wecom_api.CORP_ID,
            "FromUserName": f"wx-{person}",
            "CreateTime": str(int(Clock()().timestamp())),
            "MsgType": "text",
            "Content": f"{task} {30 + n % 60}% 第{n}轮进展：设备已进场",
            "MsgId": str(10**15 + n),
            "AgentID": str(wecom_api.AGENT_ID),
        }
        inner = "<xml>" + "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
        encrypted = wecom_api.encrypt(inner + "</xml>")
        timestamp, nonce = fields["CreateTime"], f"n{n}"
        query = {
            "msg_signature": wecom_api.signature(timestamp, nonce, encrypted),
            "timestamp": timestamp,
            "nonce": nonce,
        }
        body = f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode()
        made.append((f"/wecom?{urlencode(query)}", body))
    return made


def floor_app(database: Path) -> Starlette:
    connection = sqlite3.connect(database, check_same_thread=False)
    connection.execute("CREATE TABLE callback (id INTEGER PRIMARY KEY, body BLOB)")

    async def take(request: Request) -> Response:
        body = await request.body()
        with connection:
            connection.execute("INSERT INTO callback (body) VALUES (?)", (body,))
        return PlainTextResponse("")

    return Starlette(routes=[Route("/wecom", take, methods=["POST"])])


async def post_all(app: Starlette, made: list[tuple[str, bytes]]) -> float:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://superbot") as client:
        gc.collect()
        start = time.perf_counter()
        for path, body in made:
            response = await client.post(path, content=body)
            assert response.status_code == 200, response.text
        return time.perf_counter() - start


def office(folder: Path, seed: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "office.db"
    shutil.copyfile(seed, database)
    return database


async def measured(folder: Path, seed: Path, made: list[tuple[str, bytes]]) -> float:
    database = office(folder, seed)
    environ = {
        "SUPERBOT_DATABASE_URL": f"sqlite:///{database}",
        "SUPERBOT_TASKS": str(ROOT / "tests" / "plan.yaml"),
        "SUPERBOT_OUTBOX_DIR": str(folder / "outbox"),
        "WECOM_CORP_ID": wecom_api.CORP_ID,
        "WECOM_AGENT_ID": str(wecom_api.AGENT_ID),
        "WECOM_SECRET": wecom_api.SECRET,
        "WECOM_TOKEN": wecom_api.TOKEN,
        "WECOM_AES_KEY": wecom_api.AES_KEY,
        "WECOM_API_URL": "http://127.0.0.1:9",  # never called: answers stay in the outbox
    }
    runtime = Runtime(Config.from_env(environ, dotenv=None), clock=Clock())

    async def hold() -> None:  # the dispatcher is not part of what is measured
        return None

    supervision = Supervision(runtime.store, runtime.delivery, None)  # type: ignore[arg-type]
    apps = runtime.chat_apps(supervision, hold)
    server = runtime.inbound(apps).server
    assert server is not None
    runtime.store.active_plan()  # the engine's pool opened, as in a running superbot
    took = await post_all(server.app, made)
    await apps["wecom"].drain()
    recorded = sum(len(runtime.store.task_reports(task)) for task in OWNERS.values())
    assert recorded == len(made), f"{recorded} of {len(made)} recorded"
    await runtime.aclose()
    runtime.store.engine.dispose()
    return took


async def run(count: int, repeat: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="superbot-bench-chat-"))
    try:
        seed = seeded(folder)
        made = requests(count)
        floors, measures = [], []
        for turn in range(repeat + 1):
            f = await post_all(floor_app(folder / f"floor{turn}.db"), made)
            m = await measured(folder / f"run{turn}", seed, made)
            if turn:  # the first pair warms up imports, caches and templates
                floors.append(f)
                measures.append(m)
        best_floor, best = min(floors), min(measures)
        print(f"{count} 企业微信 callbacks (signed, AES-encrypted texts naming a task), SQLite")
        print(f"floor  (read the body, one INSERT each): {best_floor * 1000:8.1f} ms")
        print(f"superbot (check, decrypt, record, answer): {best * 1000:6.1f} ms")
        print(f"per callback: {best / count * 1000:.1f} ms; ratio {best / best_floor:.1f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callbacks", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.callbacks, args.repeat))


if __name__ == "__main__":
    main()
