"""Reading a 延期申请 the way people write it in a reply: the date and the reason; a note that
merely says something was delayed asks for nothing."""

from __future__ import annotations

from datetime import date

import pytest

from superbot.domain.progress import ExtensionAsk, read_extension, read_new_date

TODAY = date(2022, 9, 20)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "申请延期至12月31日，原因：土地审批未完成",
            ExtensionAsk(date(2022, 12, 31), "土地审批未完成"),
        ),
        ("申请延期到2023年3月31日 资金未到位", ExtensionAsk(date(2023, 3, 31), "资金未到位")),
        ("延期至2022-12-31。理由是征地未完成", ExtensionAsk(date(2022, 12, 31), "征地未完成")),
        ("申请延期至年底，理由：设备到货推迟", ExtensionAsk(date(2022, 12, 31), "设备到货推迟")),
        # A month already past this year is next year's.
        ("申请延期至1月15日，原因：春节前完成", ExtensionAsk(date(2023, 1, 15), "春节前完成")),
        ("申请延期至２０２２－１２－３１　原因：审批", ExtensionAsk(date(2022, 12, 31), "审批")),
        ("申请推迟到12月15号", ExtensionAsk(date(2022, 12, 15), None)),
        ("申请延期", ExtensionAsk(None, None)),  # asked, no date: the answer says so
        ("申请延期至13月40日，原因：x", ExtensionAsk(None, "x")),
    ],
)
def test_an_extension_is_read_with_its_date_and_reason(text: str, expected: ExtensionAsk) -> None:
    assert read_extension(text, TODAY) == expected


@pytest.mark.parametrize(
    "text", ["60% 部分工程延期", "完成", "受阻 工期推迟", "设备延期交付，进度 50%"]
)
def test_a_report_that_mentions_a_delay_asks_for_nothing(text: str) -> None:
    assert read_extension(text, TODAY) is None


def test_extend_command_arguments() -> None:
    assert read_new_date("2023-03-31 研发费用归集口径调整", TODAY) == ExtensionAsk(
        date(2023, 3, 31), "研发费用归集口径调整"
    )
    assert read_new_date("12月31日 原因：审批", TODAY) == ExtensionAsk(date(2022, 12, 31), "审批")
    assert read_new_date("", TODAY) == ExtensionAsk(None, None)
