"""Requests that are not the platform's are refused before anything is read or recorded:
unsigned, wrongly signed, replayed with an old timestamp, or too large. And each platform's
URL check is answered."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from tests.chat.conftest import LIMH, ChatWorld
from tests.fakes import dingtalk_api, feishu_api, wecom_api
from tests.fakes.chat_platform import Answer
from tests.fakes.dingtalk_api import FakeDingtalk
from tests.fakes.feishu_api import FakeFeishu
from tests.fakes.wecom_api import FakeWecom


async def _post(chat: ChatWorld, path: str, body: bytes, headers: dict[str, str]) -> Answer:
    return await asyncio.to_thread(chat.fake.post, path, body, headers)


async def _forged(chat: ChatWorld) -> list[tuple[str, Answer]]:
    """The person's last text sent again, each time spoilt in one way."""
    await chat.says(LIMH, "zcq8-1 30% 第一条")
    path, body, headers = chat.fake.last_callback
    answers = []
    if isinstance(chat.fake, FakeWecom):
        query = dict(parse_qsl(urlsplit(path).query))
        unsigned = {k: v for k, v in query.items() if k != "msg_signature"}
        answers.append(
            ("unsigned", await _post(chat, f"/wecom?{urlencode(unsigned)}", body, headers))
        )
        wrong = {**query, "msg_signature": "0" * 40}
        answers.append(("wrong", await _post(chat, f"/wecom?{urlencode(wrong)}", body, headers)))
        old = str(int((chat.clock() - timedelta(hours=2)).timestamp()))
        encrypted = body.decode().split("<Encrypt><![CDATA[")[1].split("]]>")[0]
        replayed = {**query, "timestamp": old}
        replayed["msg_signature"] = wecom_api.signature(old, query["nonce"], encrypted)
        answers.append(
            ("replayed", await _post(chat, f"/wecom?{urlencode(replayed)}", body, headers))
        )
    elif isinstance(chat.fake, FakeDingtalk):
        unsigned = {k: v for k, v in headers.items() if k != "sign"}
        answers.append(("unsigned", await _post(chat, path, body, unsigned)))
        answers.append(("wrong", await _post(chat, path, body, {**headers, "sign": "Zm9yZ2Vk"})))
        old = str(int((chat.clock() - timedelta(hours=2)).timestamp() * 1000))
        replayed = {**headers, "timestamp": old, "sign": dingtalk_api.sign(old)}
        answers.append(("replayed", await _post(chat, path, body, replayed)))
    else:
        assert isinstance(chat.fake, FakeFeishu)
        unsigned = {k: v for k, v in headers.items() if k != "X-Lark-Signature"}
        answers.append(("unsigned", await _post(chat, path, body, unsigned)))
        answers.append(
            ("wrong", await _post(chat, path, body, {**headers, "X-Lark-Signature": "0" * 64}))
        )
        old = str(int((chat.clock() - timedelta(hours=2)).timestamp()))
        nonce = headers["X-Lark-Request-Nonce"]
        replayed = {
            **headers,
            "X-Lark-Request-Timestamp": old,
            "X-Lark-Signature": feishu_api.signature(old, nonce, body),
        }
        answers.append(("replayed", await _post(chat, path, body, replayed)))
    big = {**headers, "Content-Length": str(10 * 1024 * 1024)}
    answers.append(("oversized", await _post(chat, path, b"x" * (65 * 1024), big)))
    return answers


@pytest.mark.parametrize("platform", ["wecom", "dingtalk", "feishu"])  # those over HTTP
async def test_forged_replayed_and_oversized_requests_are_refused(chat: ChatWorld) -> None:
    chat.bind(LIMH)
    answers = await _forged(chat)
    statuses = {why: answer.status for why, answer in answers}
    assert statuses == {"unsigned": 403, "wrong": 403, "replayed": 403, "oversized": 413}
    await chat.app.drain()
    assert [(r.percent, r.note) for r in chat.reports("zcq8-1")] == [(30, "第一条")]
    assert len(chat.fake.texts(LIMH)) == 1  # the one genuine text was answered, nothing else


@pytest.mark.parametrize("platform", ["wecom", "feishu"])  # 钉钉 checks with a signed message
async def test_the_platforms_url_checks_are_answered(chat: ChatWorld) -> None:
    if isinstance(chat.fake, FakeWecom):
        answer, echo = await asyncio.to_thread(chat.fake.check_url)
        assert (answer.status, answer.body.decode()) == (200, echo)
        decrypted, receive_id = wecom_api.decrypt(wecom_api.encrypt("往返", "corp-x"))
        assert (decrypted, receive_id) == ("往返", "corp-x")  # the fake's own scheme
    elif isinstance(chat.fake, FakeFeishu):
        answer, challenge = await asyncio.to_thread(chat.fake.check_url)
        assert answer.status == 200
        assert json.loads(answer.body) == {"challenge": challenge}
    else:
        raise AssertionError(chat.fake.name)
