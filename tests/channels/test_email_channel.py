from __future__ import annotations

import io
from datetime import UTC, datetime

import openpyxl
import pytest
from tests.fakes.smtp import TlsFiles, smtp_server, unused_port

from superbot.channels.email import EmailChannel, SmtpSettings
from superbot.service.ports import Attachment, ChannelError, Message

SENDER = "督查科 <duban@example.gov.cn>"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SENT_AT = datetime(2022, 7, 1, 1, 0, tzinfo=UTC)
USER, PASSWORD = "duban@example.gov.cn", "p@ss:w/rd%"


@pytest.fixture(scope="module")
def tls() -> TlsFiles:
    return TlsFiles.create()


def workbook(cell: str) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"] = cell
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def bulletin() -> Message:
    return Message(
        subject="督查通报（2022年6月）",
        body="各单位：\n6月红灯 2 项，黄灯 3 项。",
        html="<p>各单位：</p><p>6月红灯 <b>2</b> 项，黄灯 3 项。</p>",
        attachments=(
            Attachment("督查通报（2022年6月）.xlsx", workbook("高新技术产业投资攻坚"), XLSX),
        ),
    )


def lines(text: str) -> str:
    return text.replace("\r\n", "\n").rstrip("\n")


async def test_a_bulletin_arrives_whole_and_parses_back() -> None:
    with smtp_server() as server:
        channel = EmailChannel(SmtpSettings.from_url(server.url()), SENDER, now=lambda: SENT_AT)
        receipt = await channel.send(bulletin(), "张三 <zhang@example.gov.cn>")
        await channel.aclose()

    [delivery] = server.deliveries
    assert delivery.mail_from == "duban@example.gov.cn"
    assert delivery.rcpt_tos == ("zhang@example.gov.cn",)
    mail = delivery.parsed()
    assert mail["Subject"] == "督查通报（2022年6月）"
    assert mail["From"].addresses[0].display_name == "督查科"
    assert mail["From"].addresses[0].addr_spec == "duban@example.gov.cn"
    assert mail["To"].addresses[0].display_name == "张三"
    assert mail["Date"].datetime == SENT_AT
    assert receipt.ref is not None
    assert mail["Message-ID"] == receipt.ref
    assert receipt.ref.endswith("@example.gov.cn>")

    text, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert text is not None
    assert html is not None
    assert lines(text.get_content()) == bulletin().body
    assert "<b>2</b>" in html.get_content()

    [attachment] = mail.iter_attachments()
    assert attachment.get_content_type() == XLSX
    assert attachment.get_filename() == "督查通报（2022年6月）.xlsx"
    assert b"filename*" in delivery.content  # RFC 2231, not RFC 2047 words
    sheet = openpyxl.load_workbook(io.BytesIO(attachment.get_content())).active
    assert sheet is not None
    assert sheet["A1"].value == "高新技术产业投资攻坚"


async def test_a_plain_message_is_a_single_text_part() -> None:
    with smtp_server() as server:
        channel = EmailChannel(SmtpSettings.from_url(server.url()), SENDER)
        await channel.send(Message(subject="提醒\n请报送进度", body="请于25日前报送。"), "a@b.cn")

    mail = server.deliveries[0].parsed()
    assert mail.get_content_type() == "text/plain"
    assert mail["Subject"] == "提醒 请报送进度"
    assert lines(mail.get_content()) == "请于25日前报送。"


async def test_logs_in_when_the_url_has_a_user() -> None:
    with smtp_server(credentials=(USER, PASSWORD)) as server:
        channel = EmailChannel(SmtpSettings.from_url(server.url(USER, PASSWORD)), SENDER)
        await channel.send(bulletin(), "zhang@example.gov.cn")

    assert server.deliveries[0].login == USER


async def test_a_wrong_password_is_permanent() -> None:
    with smtp_server(credentials=(USER, PASSWORD)) as server:
        channel = EmailChannel(SmtpSettings.from_url(server.url(USER, "wrong")), SENDER)
        with pytest.raises(ChannelError, match="authentication failed: 535") as caught:
            await channel.send(bulletin(), "zhang@example.gov.cn")

    assert caught.value.permanent
    assert "wrong" not in str(caught.value)
    assert server.deliveries == []


async def test_starttls_then_login(tls: TlsFiles) -> None:
    with smtp_server(security="starttls", tls=tls, credentials=(USER, PASSWORD)) as server:
        settings = SmtpSettings.from_url(server.url(USER, PASSWORD))
        channel = EmailChannel(settings, SENDER, ssl_context=tls.client_context())
        await channel.send(bulletin(), "zhang@example.gov.cn")

    assert settings.security == "starttls"
    [delivery] = server.deliveries
    assert delivery.encrypted
    assert delivery.login == USER


async def test_implicit_tls(tls: TlsFiles) -> None:
    with smtp_server(security="ssl", tls=tls) as server:
        settings = SmtpSettings.from_url(server.url())
        channel = EmailChannel(settings, SENDER, ssl_context=tls.client_context())
        await channel.send(bulletin(), "zhang@example.gov.cn")

    assert settings.security == "ssl"
    assert server.deliveries[0].encrypted


async def test_an_untrusted_certificate_is_permanent(tls: TlsFiles) -> None:
    with smtp_server(security="starttls", tls=tls) as server:
        # The default context trusts the system's CAs, not the test CA.
        channel = EmailChannel(SmtpSettings.from_url(server.url()), SENDER)
        with pytest.raises(ChannelError, match="certificate") as caught:
            await channel.send(bulletin(), "zhang@example.gov.cn")

    assert caught.value.permanent


async def test_a_failed_tls_handshake_is_transient() -> None:
    with smtp_server() as server:  # speaks plain SMTP where TLS is expected
        settings = SmtpSettings(server.host, server.port, security="ssl", timeout=5)
        channel = EmailChannel(settings, SENDER)
        with pytest.raises(ChannelError, match="TLS") as caught:
            await channel.send(bulletin(), "zhang@example.gov.cn")

    assert not caught.value.permanent


async def test_a_refused_recipient_is_permanent() -> None:
    with smtp_server(refuse={"nobody@example.gov.cn"}) as server:
        channel = EmailChannel(SmtpSettings.from_url(server.url()), SENDER)
        with pytest.raises(ChannelError, match="recipient refused: 550") as caught:
            await channel.send(bulletin(), "nobody@example.gov.cn")

    assert caught.value.permanent


async def test_a_451_is_transient() -> None:
    with smtp_server(data_reply="451 4.3.0 Try again later") as server:
        channel = EmailChannel(SmtpSettings.from_url(server.url()), SENDER)
        with pytest.raises(ChannelError, match="451") as caught:
            await channel.send(bulletin(), "zhang@example.gov.cn")

    assert not caught.value.permanent


async def test_nothing_listening_is_transient() -> None:
    settings = SmtpSettings("127.0.0.1", unused_port(), timeout=5)
    channel = EmailChannel(settings, SENDER)
    with pytest.raises(ChannelError) as caught:
        await channel.send(bulletin(), "zhang@example.gov.cn")

    assert not caught.value.permanent
    assert caught.value.retry_after is None


async def test_a_malformed_recipient_is_permanent_without_connecting() -> None:
    channel = EmailChannel(SmtpSettings("127.0.0.1", unused_port()), SENDER)
    with pytest.raises(ChannelError, match="not an email address") as caught:
        await channel.send(bulletin(), "张三")

    assert caught.value.permanent


def test_the_sender_must_be_one_address() -> None:
    with pytest.raises(ValueError, match="SMTP_FROM"):
        EmailChannel(SmtpSettings("localhost", 25), "督查科")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp://user%40gov:p%40ss%3A1@mail.example.com",
            SmtpSettings("mail.example.com", 25, "plain", "user@gov", "p@ss:1"),
        ),
        ("smtps://mail.example.com", SmtpSettings("mail.example.com", 465, "ssl")),
        (
            "smtp://mail.example.com?starttls=true",
            SmtpSettings("mail.example.com", 587, "starttls"),
        ),
        (
            "smtp://u:p@mail.example.com:2525?starttls=1&timeout=7.5",
            SmtpSettings("mail.example.com", 2525, "starttls", "u", "p", 7.5),
        ),
        ("smtp://mail.example.com:26/?starttls=false", SmtpSettings("mail.example.com", 26)),
    ],
)
def test_smtp_url(url: str, expected: SmtpSettings) -> None:
    assert SmtpSettings.from_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "must start with smtp:// or smtps://"),
        ("mail.example.com:25", "must start with smtp:// or smtps://"),
        ("http://mail.example.com", "must start with smtp:// or smtps://"),
        ("smtp://", "has no host"),
        ("smtp://u:secret@mail.example.com:port", "not a valid URL"),
        ("smtp://u:secret@mail.example.com:99999", "not a valid URL"),
        ("smtps://mail.example.com?starttls=true", "contradicts smtps://"),
        ("smtp://mail.example.com?starttls=maybe", "starttls must be true or false"),
        ("smtp://mail.example.com?timeout=0", "timeout must be a positive number"),
        ("smtp://mail.example.com?tls=true", "unknown parameter 'tls'"),
        ("smtp://user@mail.example.com", "has a user but no password"),
        ("smtp://mail.example.com/inbox", "must not have a path"),
    ],
)
def test_a_bad_smtp_url_says_what_is_wrong(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        SmtpSettings.from_url(url)
    assert "secret" not in str(caught.value)


def test_settings_do_not_show_the_password() -> None:
    assert "hunter2" not in repr(SmtpSettings.from_url("smtp://u:hunter2@mail.example.com"))
