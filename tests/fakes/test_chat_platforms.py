"""The fake 钉钉, 企业微信 and 飞书 servers hold to what their platforms document: spoken to
over plain HTTP here, never through superbot."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.fakes import dingtalk_api, feishu_api, wecom_api
from tests.fakes.dingtalk_api import FakeDingtalk
from tests.fakes.feishu_api import FakeFeishu
from tests.fakes.wecom_api import FakeWecom

USERS = {"u1", "u2"}


@pytest.fixture
def wecom() -> Iterator[FakeWecom]:
    with FakeWecom(USERS) as fake:
        yield fake


@pytest.fixture
def dingtalk() -> Iterator[FakeDingtalk]:
    with FakeDingtalk(USERS) as fake:
        yield fake


@pytest.fixture
def feishu() -> Iterator[FakeFeishu]:
    with FakeFeishu(USERS) as fake:
        yield fake


# -- 企业微信 -------------------------------------------------------------------------------------


def _wecom_token(fake: FakeWecom, secret: str = wecom_api.SECRET) -> dict[str, Any]:
    query = {"corpid": wecom_api.CORP_ID, "corpsecret": secret}
    return httpx.get(f"{fake.url}/cgi-bin/gettoken", params=query).json()


def _wecom_send(fake: FakeWecom, token: str, body: dict[str, Any]) -> dict[str, Any]:
    url = f"{fake.url}/cgi-bin/message/send"
    payload = {"agentid": wecom_api.AGENT_ID, **body}
    return httpx.post(url, params={"access_token": token}, json=payload).json()


def _wecom_card(task_id: str, buttons: int = 6) -> dict[str, Any]:
    return {
        "touser": "u1",
        "msgtype": "template_card",
        "template_card": {
            "card_type": "button_interaction",
            "main_title": {"title": "任务"},
            "task_id": task_id,
            "button_list": [{"text": f"b{n}", "key": f"k{n}"} for n in range(buttons)],
        },
    }


def test_wecom_tokens_and_what_a_message_may_be(wecom: FakeWecom) -> None:
    assert _wecom_token(wecom, "wrong")["errcode"] == 40001
    token = _wecom_token(wecom)["access_token"]
    assert _wecom_send(wecom, "nonsense", {"touser": "u1", "msgtype": "text"})["errcode"] == 40014
    text = {"touser": "u1", "msgtype": "text", "text": {"content": "好"}}
    assert _wecom_send(wecom, token, text)["errcode"] == 0
    assert _wecom_send(wecom, token, {**text, "touser": "nobody"})["errcode"] == 81013
    long = {**text, "text": {"content": "字" * 683}}  # 2049 bytes
    assert _wecom_send(wecom, token, long)["errcode"] == 45002
    assert _wecom_send(wecom, token, _wecom_card("t-1", buttons=7))["errcode"] == 40058
    assert _wecom_send(wecom, token, _wecom_card("t 1"))["errcode"] == 40058
    assert _wecom_send(wecom, token, _wecom_card("t-1"))["errcode"] == 0
    assert _wecom_send(wecom, token, _wecom_card("t-1"))["errmsg"] == "task_id duplicated"
    wecom.expire_tokens()
    assert _wecom_send(wecom, token, text)["errcode"] == 42001
    assert [d.text for d in wecom.to("u1")] == ["好", ""]


def test_wecom_drops_what_a_member_gets_past_30_a_minute(wecom: FakeWecom) -> None:
    token = _wecom_token(wecom)["access_token"]
    for n in range(31):
        reply = _wecom_send(
            wecom, token, {"touser": "u2", "msgtype": "text", "text": {"content": str(n)}}
        )
        assert reply["errcode"] == 0
    assert (len(wecom.to("u2")), wecom.dropped) == (30, 1)


def test_wecom_callbacks_are_signed_and_encrypted_as_documented() -> None:
    encrypted = wecom_api.encrypt("<xml>消息</xml>")
    assert wecom_api.decrypt(encrypted) == ("<xml>消息</xml>", wecom_api.CORP_ID)
    parts = sorted([wecom_api.TOKEN, "1655863200", "nonce", encrypted])
    expected = hashlib.sha1("".join(parts).encode()).hexdigest()
    assert wecom_api.signature("1655863200", "nonce", encrypted) == expected


# -- 钉钉 ----------------------------------------------------------------------------------------


def _ding_token(fake: FakeDingtalk, secret: str = dingtalk_api.CLIENT_SECRET) -> httpx.Response:
    body = {"appKey": dingtalk_api.CLIENT_ID, "appSecret": secret}
    return httpx.post(f"{fake.url}/v1.0/oauth2/accessToken", json=body)


def _ding_send(
    fake: FakeDingtalk, token: str, users: list[str], text: str = "好"
) -> httpx.Response:
    body = {
        "robotCode": dingtalk_api.ROBOT_CODE,
        "userIds": users,
        "msgKey": "sampleText",
        "msgParam": json.dumps({"content": text}),
    }
    headers = {"x-acs-dingtalk-access-token": token}
    return httpx.post(f"{fake.url}/v1.0/robot/oToMessages/batchSend", json=body, headers=headers)


def test_dingtalk_tokens_users_and_its_rate(dingtalk: FakeDingtalk) -> None:
    assert _ding_token(dingtalk, "wrong").status_code == 400
    token = _ding_token(dingtalk).json()["accessToken"]
    assert _ding_send(dingtalk, "nonsense", ["u1"]).status_code == 401
    reply = _ding_send(dingtalk, token, ["u1", "nobody"]).json()
    assert reply["invalidStaffIdList"] == ["nobody"]
    assert [d.text for d in dingtalk.to("u1")] == ["好"]
    assert _ding_send(dingtalk, token, ["u1"], "字" * 5001).status_code == 400
    # The 25 calls at one instant, however slow the machine; the calls before are long past.
    instant = time.monotonic() + 10.0
    dingtalk.clock = lambda: instant
    statuses = [_ding_send(dingtalk, token, ["u2"]).status_code for _ in range(25)]
    assert statuses == [200] * 20 + [403] * 5  # 20 calls a second
    assert dingtalk.throttled >= 1
    dingtalk.expire_tokens()
    assert _ding_send(dingtalk, token, ["u1"]).json()["code"] == "InvalidAuthentication"


def test_dingtalk_cards_are_standard_cards_updated_by_their_biz_id(dingtalk: FakeDingtalk) -> None:
    token = _ding_token(dingtalk).json()["accessToken"]
    headers = {"x-acs-dingtalk-access-token": token}
    data = {
        "header": {"title": {"type": "text", "text": "任务"}},
        "contents": [
            {"type": "markdown", "text": "进度 0%"},
            {"type": "action", "actions": [{"label": {"text": "60%"}, "id": "p:t:60"}]},
        ],
    }
    card = {
        "cardTemplateId": "StandardCard",
        "cardBizId": "biz-1",
        "robotCode": dingtalk_api.ROBOT_CODE,
        "singleChatReceiver": json.dumps({"userId": "u1"}),
        "cardData": json.dumps(data),
    }
    send = f"{dingtalk.url}/v1.0/im/v1.0/robot/interactiveCards/send"
    assert httpx.post(send, json=card, headers=headers).status_code == 200
    assert httpx.post(send, json=card, headers=headers).status_code == 400  # biz id reused
    update = f"{dingtalk.url}/v1.0/im/robots/interactiveCards"
    missing = {"cardBizId": "biz-2", "cardData": json.dumps(data)}
    assert httpx.put(update, json=missing, headers=headers).status_code == 400
    data["contents"][0]["text"] = "进度 60%"
    replaced = {"cardBizId": "biz-1", "cardData": json.dumps(data)}
    assert httpx.put(update, json=replaced, headers=headers).status_code == 200
    [shown] = dingtalk.cards("u1")
    assert (shown.text, shown.shown.text, shown.buttons) == (
        "进度 0%",
        "进度 60%",
        [("60%", "p:t:60")],
    )


def test_dingtalk_stream_mode_needs_the_apps_credentials(dingtalk: FakeDingtalk) -> None:
    url = f"{dingtalk.url}/v1.0/gateway/connections/open"
    topics = [{"type": "CALLBACK", "topic": t} for t in (dingtalk_api.MESSAGES, dingtalk_api.CARDS)]
    wrong = {"clientId": dingtalk_api.CLIENT_ID, "clientSecret": "wrong", "subscriptions": topics}
    assert httpx.post(url, json=wrong).status_code == 401
    opened = httpx.post(url, json={**wrong, "clientSecret": dingtalk_api.CLIENT_SECRET}).json()
    assert opened["endpoint"].startswith("ws://127.0.0.1:")
    assert opened["ticket"]


# -- 飞书 ----------------------------------------------------------------------------------------


def _feishu_token(fake: FakeFeishu, secret: str = feishu_api.APP_SECRET) -> dict[str, Any]:
    body = {"app_id": feishu_api.APP_ID, "app_secret": secret}
    url = f"{fake.url}/open-apis/auth/v3/tenant_access_token/internal"
    return httpx.post(url, json=body).json()


def _feishu_send(
    fake: FakeFeishu, token: str, user: str, kind: str, content: object
) -> httpx.Response:
    return httpx.post(
        f"{fake.url}/open-apis/im/v1/messages",
        params={"receive_id_type": "open_id" if user.startswith("ou_") else "user_id"},
        json={"receive_id": user, "msg_type": kind, "content": json.dumps(content)},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_feishu_tokens_users_and_its_rate(feishu: FakeFeishu) -> None:
    assert _feishu_token(feishu, "wrong")["code"] == 10014
    token = _feishu_token(feishu)["tenant_access_token"]
    assert _feishu_send(feishu, "nonsense", "u1", "text", {"text": "好"}).json()["code"] == 99991663
    assert _feishu_send(feishu, token, "nobody", "text", {"text": "好"}).json()["code"] == 230013
    by_open_id = _feishu_send(feishu, token, feishu_api.open_id("u1"), "text", {"text": "好"})
    assert by_open_id.json()["data"]["message_id"].startswith("om_")
    codes = [
        _feishu_send(feishu, token, "u2", "text", {"text": "x"}).json()["code"] for _ in range(6)
    ]
    assert codes[-1] == 230020  # 5 a second to one user
    feishu.expire_tokens()
    assert _feishu_send(feishu, token, "u1", "text", {"text": "好"}).json()["code"] == 99991677


def test_feishu_updates_only_shared_cards(feishu: FakeFeishu) -> None:
    token = _feishu_token(feishu)["tenant_access_token"]
    card = {
        "header": {"title": {"tag": "plain_text", "content": "任务"}},
        "elements": [
            {"tag": "action", "actions": [{"tag": "button", "value": {"data": "p:t:60"}}]}
        ],
    }
    unshared = _feishu_send(feishu, token, "u1", "interactive", card).json()["data"]["message_id"]
    shared = _feishu_send(
        feishu, token, "u1", "interactive", {**card, "config": {"update_multi": True}}
    ).json()["data"]["message_id"]
    headers = {"Authorization": f"Bearer {token}"}
    content = {"content": json.dumps(card)}
    patch = f"{feishu.url}/open-apis/im/v1/messages"
    assert (
        httpx.patch(f"{patch}/{unshared}", json=content, headers=headers).json()["code"] == 230031
    )
    assert httpx.patch(f"{patch}/{shared}", json=content, headers=headers).json()["code"] == 0


def test_feishu_events_are_encrypted_and_signed_as_documented() -> None:
    assert feishu_api.decrypt(feishu_api.encrypt('{"事件": 1}')) == '{"事件": 1}'
    body = b'{"encrypt":"x"}'
    expected = hashlib.sha256(
        b"1655863200nonce" + feishu_api.ENCRYPT_KEY.encode() + body
    ).hexdigest()
    assert feishu_api.signature("1655863200", "nonce", body) == expected
