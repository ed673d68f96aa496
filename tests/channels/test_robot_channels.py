from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from tests.fakes.robots import Kind, RobotServer
from tests.fakes.smtp import unused_port

from superbot.channels.dingtalk import DingtalkChannel, dingtalk_sign
from superbot.channels.feishu import FeishuChannel
from superbot.channels.robot import RobotChannel
from superbot.channels.wecom import WecomChannel
from superbot.service.ports import ChannelError, Message

NOW = datetime(2022, 7, 1, 1, 0, tzinfo=UTC)
MS = 1656637200000  # NOW in milliseconds
BULLETIN = Message(
    subject="督查通报（2022年6月）",
    body="## 督查通报（2022年6月）\n- **红灯** 2 项：高新技术产业投资攻坚、R&D 经费\n- 黄灯 3 项",
)


@pytest.fixture
def robots() -> Iterator[RobotServer]:
    with RobotServer(now=lambda: NOW) as server:
        yield server


@pytest.fixture
async def wecom(robots: RobotServer) -> AsyncIterator[WecomChannel]:
    channel = WecomChannel(robots.environ())
    yield channel
    await channel.aclose()


@pytest.fixture
async def dingtalk(robots: RobotServer) -> AsyncIterator[DingtalkChannel]:
    channel = DingtalkChannel(robots.environ(), now=lambda: NOW)
    yield channel
    await channel.aclose()


@pytest.fixture
async def feishu(robots: RobotServer) -> AsyncIterator[FeishuChannel]:
    channel = FeishuChannel(robots.environ(), now=lambda: NOW)
    yield channel
    await channel.aclose()


async def failure(
    channel: RobotChannel, recipient: str, message: Message = BULLETIN
) -> ChannelError:
    with pytest.raises(ChannelError) as caught:
        await channel.send(message, recipient)
    return caught.value


def chinese_markdown(size: int) -> str:
    """``size`` UTF-8 bytes of Chinese lines, with the quotes and newlines JSON escapes."""
    line = "- **高新科**：“研发”投入完成 95%\n"
    text = line * (size // len(line.encode()) + 1)
    return text.encode()[:size].decode(errors="ignore")


# WeCom


async def test_wecom_markdown_arrives(robots: RobotServer, wecom: WecomChannel) -> None:
    await wecom.send(BULLETIN, "WECOM_URL")

    [received] = robots.received("wecom")
    assert received.token == robots.wecom_key
    assert received.payload == {"msgtype": "markdown", "markdown": {"content": BULLETIN.body}}


async def test_wecom_rate_limit_is_transient(robots: RobotServer, wecom: WecomChannel) -> None:
    robots.fail_next("wecom", 45009, errmsg="api freq out of limit")

    error = await failure(wecom, "WECOM_URL")

    assert not error.permanent
    assert error.retry_after == 60
    assert "45009" in str(error)


async def test_wecom_invalid_webhook_is_permanent_and_keeps_the_key_secret(
    robots: RobotServer,
) -> None:
    channel = WecomChannel({"WECOM_URL": robots.wecom_url(key="revoked-key")})
    error = await failure(channel, "WECOM_URL")
    await channel.aclose()

    assert error.permanent
    assert "93000" in str(error)
    assert "revoked-key" not in str(error)


@pytest.mark.parametrize("errcode", [93004, 40008])
async def test_wecom_other_codes_are_permanent(
    robots: RobotServer, wecom: WecomChannel, errcode: int
) -> None:
    robots.fail_next("wecom", errcode)

    assert (await failure(wecom, "WECOM_URL")).permanent


async def test_wecom_content_over_4096_bytes_is_refused_for_good(
    robots: RobotServer, wecom: WecomChannel
) -> None:
    oversize = Message(subject="通报", body=chinese_markdown(WecomChannel.max_body_bytes + 3))

    error = await failure(wecom, "WECOM_URL", oversize)

    assert error.permanent
    assert "40058" in str(error)


# DingTalk


async def test_dingtalk_signed_markdown_arrives(
    robots: RobotServer, dingtalk: DingtalkChannel
) -> None:
    await dingtalk.send(BULLETIN, "DINGTALK_URL:DINGTALK_SECRET")

    [received] = robots.received("dingtalk")  # the fake verified timestamp and sign
    assert received.query["timestamp"] == str(MS)
    assert received.payload == {
        "msgtype": "markdown",
        "markdown": {"title": BULLETIN.subject, "text": BULLETIN.body},
    }


async def test_dingtalk_sign_survives_url_encoding(robots: RobotServer) -> None:
    # A base64 "+" sent unencoded arrives as a space, and DingTalk rejects the signature.
    secret = robots.environ()["DINGTALK_SECRET"]
    plus = next(ms for ms in range(1000) if "+" in dingtalk_sign(str(MS + ms), secret))
    channel = DingtalkChannel(robots.environ(), now=lambda: NOW + timedelta(milliseconds=plus))
    await channel.send(BULLETIN, "DINGTALK_URL:DINGTALK_SECRET")
    await channel.aclose()

    [received] = robots.received("dingtalk")
    assert received.query["timestamp"] == str(MS + plus)
    assert "+" in received.query["sign"]


async def test_dingtalk_without_a_secret_sends_unsigned() -> None:
    with RobotServer(dingtalk_secret=None) as robots:
        channel = DingtalkChannel(robots.environ())
        await channel.send(BULLETIN, "DINGTALK_URL")
        await channel.aclose()

    [received] = robots.received("dingtalk")
    assert "sign" not in received.query


async def test_dingtalk_wrong_secret_is_permanent(robots: RobotServer) -> None:
    environ = robots.environ() | {"DINGTALK_SECRET": "SECnot-the-secret"}
    channel = DingtalkChannel(environ, now=lambda: NOW)
    error = await failure(channel, "DINGTALK_URL:DINGTALK_SECRET")
    await channel.aclose()

    assert error.permanent
    assert "310000" in str(error)


async def test_dingtalk_stale_timestamp_is_permanent(robots: RobotServer) -> None:
    channel = DingtalkChannel(robots.environ(), now=lambda: NOW - timedelta(hours=2))
    error = await failure(channel, "DINGTALK_URL:DINGTALK_SECRET")
    await channel.aclose()

    assert error.permanent


async def test_dingtalk_too_fast_waits_for_the_mute_to_end(
    robots: RobotServer, dingtalk: DingtalkChannel
) -> None:
    robots.fail_next("dingtalk", 130101, errmsg="send too fast, exceed 20 times per minute")

    error = await failure(dingtalk, "DINGTALK_URL:DINGTALK_SECRET")

    assert not error.permanent
    assert error.retry_after == 600


async def test_dingtalk_body_over_20000_bytes_is_refused_for_good(
    robots: RobotServer, dingtalk: DingtalkChannel
) -> None:
    oversize = Message(subject="通报", body=chinese_markdown(21000))

    error = await failure(dingtalk, "DINGTALK_URL:DINGTALK_SECRET", oversize)

    assert error.permanent
    assert "460101" in str(error)


# Feishu


async def test_feishu_signed_card_arrives(robots: RobotServer, feishu: FeishuChannel) -> None:
    await feishu.send(BULLETIN, "FEISHU_URL:FEISHU_SECRET")

    [received] = robots.received("feishu")  # the fake verified timestamp and sign
    payload = received.payload
    assert payload["timestamp"] == str(int(NOW.timestamp()))
    assert payload["msg_type"] == "interactive"
    assert payload["card"]["header"]["title"]["content"] == BULLETIN.subject
    assert payload["card"]["elements"] == [{"tag": "markdown", "content": BULLETIN.body}]


async def test_feishu_wrong_secret_is_permanent(robots: RobotServer) -> None:
    environ = robots.environ() | {"FEISHU_SECRET": "not-the-secret"}
    channel = FeishuChannel(environ, now=lambda: NOW)
    error = await failure(channel, "FEISHU_URL:FEISHU_SECRET")
    await channel.aclose()

    assert error.permanent
    assert "19021" in str(error)


async def test_feishu_unsigned_request_to_a_signing_robot_is_permanent(
    robots: RobotServer, feishu: FeishuChannel
) -> None:
    assert (await failure(feishu, "FEISHU_URL")).permanent


@pytest.mark.parametrize(
    ("code", "message"), [(11232, "frequency limited psm"), (9499, "too many request")]
)
async def test_feishu_frequency_limits_are_transient(
    robots: RobotServer, feishu: FeishuChannel, code: int, message: str
) -> None:
    robots.fail_next("feishu", code, errmsg=message)

    error = await failure(feishu, "FEISHU_URL:FEISHU_SECRET")

    assert not error.permanent
    assert error.retry_after == 60


@pytest.mark.parametrize("code", [19024, 19022, 19001])
async def test_feishu_keyword_ip_and_token_refusals_are_permanent(
    robots: RobotServer, feishu: FeishuChannel, code: int
) -> None:
    robots.fail_next("feishu", code, errmsg="Key Words Not Found")

    assert (await failure(feishu, "FEISHU_URL:FEISHU_SECRET")).permanent


async def test_feishu_body_over_20_kb_is_refused_for_good(
    robots: RobotServer, feishu: FeishuChannel
) -> None:
    oversize = Message(subject="通报", body=chinese_markdown(21000))

    error = await failure(feishu, "FEISHU_URL:FEISHU_SECRET", oversize)

    assert error.permanent
    assert "9499" in str(error)


# What the three share


CHANNELS: list[tuple[type[RobotChannel], Kind, str]] = [
    (WecomChannel, "wecom", "WECOM_URL"),
    (DingtalkChannel, "dingtalk", "DINGTALK_URL:DINGTALK_SECRET"),
    (FeishuChannel, "feishu", "FEISHU_URL:FEISHU_SECRET"),
]


@pytest.mark.parametrize(("channel_type", "kind", "recipient"), CHANNELS)
async def test_a_body_of_max_body_bytes_is_accepted(
    robots: RobotServer, channel_type: type[RobotChannel], kind: Kind, recipient: str
) -> None:
    channel = channel_type(robots.environ(), now=lambda: NOW)
    body = chinese_markdown(channel.max_body_bytes)
    await channel.send(Message(subject=BULLETIN.subject, body=body), recipient)
    await channel.aclose()

    assert len(robots.received(kind)) == 1


@pytest.mark.parametrize(("channel_type", "kind", "recipient"), CHANNELS)
async def test_an_unset_variable_is_permanent_and_named(
    channel_type: type[RobotChannel], kind: Kind, recipient: str
) -> None:
    channel = channel_type({})
    error = await failure(channel, recipient)
    await channel.aclose()

    assert error.permanent
    assert recipient.split(":")[0] in str(error)


async def test_an_unset_secret_variable_is_named(robots: RobotServer) -> None:
    environ = {"DINGTALK_URL": robots.dingtalk_url()}
    channel = DingtalkChannel(environ)
    error = await failure(channel, "DINGTALK_URL:DINGTALK_SECRET")
    await channel.aclose()

    assert error.permanent
    assert "DINGTALK_SECRET" in str(error)


async def test_a_variable_without_a_url_is_permanent() -> None:
    channel = WecomChannel({"WECOM_URL": "not a url"})
    error = await failure(channel, "WECOM_URL")
    await channel.aclose()

    assert error.permanent
    assert "WECOM_URL" in str(error)


@pytest.mark.parametrize(("channel_type", "kind", "recipient"), CHANNELS)
async def test_server_errors_are_transient(
    robots: RobotServer, channel_type: type[RobotChannel], kind: Kind, recipient: str
) -> None:
    robots.fail_next(kind, status=503)
    channel = channel_type(robots.environ(), now=lambda: NOW)
    error = await failure(channel, recipient)
    await channel.aclose()

    assert not error.permanent
    assert "503" in str(error)


async def test_http_429_waits_as_told(robots: RobotServer, wecom: WecomChannel) -> None:
    robots.fail_next("wecom", status=429, retry_after=17)

    error = await failure(wecom, "WECOM_URL")

    assert not error.permanent
    assert error.retry_after == 17


async def test_http_404_is_permanent(robots: RobotServer) -> None:
    channel = WecomChannel({"WECOM_URL": f"{robots.base_url}/no/such/hook"})
    error = await failure(channel, "WECOM_URL")
    await channel.aclose()

    assert error.permanent


async def test_nothing_listening_is_transient() -> None:
    channel = WecomChannel({"WECOM_URL": f"http://127.0.0.1:{unused_port()}/cgi-bin/webhook/send"})
    error = await failure(channel, "WECOM_URL")
    await channel.aclose()

    assert not error.permanent


async def test_an_injected_client_is_left_open(robots: RobotServer) -> None:
    async with httpx.AsyncClient() as client:
        channel = WecomChannel(robots.environ(), client=client)
        await channel.send(BULLETIN, "WECOM_URL")
        await channel.aclose()
        assert not client.is_closed
