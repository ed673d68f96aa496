"""Telegram HTML measured as Telegram measures it, and split where Telegram allows."""

from __future__ import annotations

import pytest
from tests.fakes.telegram_api import parse_html, utf16_len

from superbot.render.telegram import split_lines, visible_length


@pytest.mark.parametrize(
    "source",
    [
        "<b>高新科</b> R&amp;D &lt;核心&gt; &#34;引号&#34; &quot;x&quot;",
        "  🔴 <i>红灯</i> 3 项\n\n",
        '<a href="https://example.com/?a=1&amp;b=2">链接</a> 🟢',
        "",
    ],
)
def test_visible_length_agrees_with_the_fake_server(source: str) -> None:
    assert visible_length(source) == utf16_len(parse_html(source).text)


def test_short_text_stays_whole() -> None:
    assert split_lines("<b>一</b>\n二") == ["<b>一</b>\n二"]


def test_pieces_are_cut_between_lines_and_each_fits() -> None:
    lines = [f"<b>第 {i} 行</b> R&amp;D 🔴 {'进' * (i % 50)}" for i in range(500)]
    source = "\n".join(lines)
    pieces = split_lines(source, limit=1000)
    assert len(pieces) > 1
    for piece in pieces:
        assert utf16_len(parse_html(piece).text) <= 1000
    assert "\n".join(pieces) == source  # nothing lost, nothing added


def test_an_overlong_line_is_cut_inside_and_its_tags_reopened() -> None:
    line = "<b>" + "很长的一行 R&amp;D " * 100 + "</b><i>尾</i>"
    pieces = split_lines(f"头\n{line}\n尾巴", limit=300)
    assert len(pieces) > 2
    texts = [parse_html(piece).text for piece in pieces]
    assert all(utf16_len(text) <= 300 for text in texts)
    assert all(parse_html(piece).entities for piece in pieces[1:-1])  # still bold
    # Telegram trims each message, so only the spaces at the cuts may go.
    joined = "".join(parse_html(piece).text for piece in pieces)
    whole = parse_html(f"头\n{line}\n尾巴").text
    assert "".join(joined.split()) == "".join(whole.split())


def test_an_emoji_is_never_split() -> None:
    pieces = split_lines("🔴" * 10, limit=5)
    assert all(utf16_len(parse_html(p).text) <= 5 for p in pieces)
    assert "".join(pieces) == "🔴" * 10


@pytest.mark.parametrize("line", ["<b>不闭合", "闭合</b>", "<b><i>交叉</b></i>"])
def test_a_line_with_unbalanced_tags_is_refused(line: str) -> None:
    with pytest.raises(ValueError, match="line 2"):
        split_lines(f"好的一行\n{line}")
