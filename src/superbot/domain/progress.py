"""Reading a progress reply the way department staff type it on a phone.

``read_progress("40% 受阻 土地指标未落实")`` finds the percent, the state and the task's indicator
values, and keeps the rest as the note. It reads what is said plainly and never guesses:

- A clause that is only progress (``进度：60%``, ``已完成``, ``受阻``, ``invest=12.5``) is read and
  left out of the note. Progress inside a sentence is read only right after a progress word
  (``目前完成了60%，主体已封顶``) and the sentence stays in the note as written.
- A number without ``%`` is a percent only at the very start of the message (``60 资金已到位``)
  or after 进度/进展; a number followed by a unit (``3个项目``, ``2.5亿元``, ``2022年``) is a count.
- Done, blocked, at risk and on track are read only as whole clauses, never after a negation or
  a qualifier (``未完成``, ``部分完成``, ``无风险``, ``不 滞后``).
- Two different percents, "done" with a percent under 100, or states that contradict each other
  are problems: neither side is kept.

Positions in the typed text and in its plain form (full-width folded to ASCII, ASCII lowercased)
are the same, so the note is cut from what the person typed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from types import MappingProxyType

from superbot.domain.model import Indicator, State
from superbot.domain.text import Text

# The longest note a report keeps, in characters, on every channel: a page of a 公文; more
# detail belongs in an evidence file.
NOTE_LIMIT = 2000


@dataclass(frozen=True)
class Reading:
    percent: int | None = None  # 0–100 when read
    state: State | None = None
    values: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    note: str | None = None  # what is left: the person's own words, trimmed
    problems: tuple[Text, ...] = ()  # what could not be read
    # The task's indicators, to name the values in words.
    indicators: tuple[Indicator, ...] = field(default=(), repr=False, compare=False)

    @property
    def has_progress(self) -> bool:
        return self.percent is not None or self.state is not None or bool(self.values)

    @property
    def understood(self) -> tuple[Text, ...]:
        """What was read, in words, for the reply."""
        said: list[Text] = []
        if self.percent is not None:
            said.append(Text.of("progress.percent", percent=self.percent))
        if self.state is not None:
            said.append(Text.of("progress.state", state=self.state.value))
        named = {i.id: i for i in self.indicators}
        for id_, value in self.values.items():
            indicator = named.get(id_, Indicator(id_, id_))
            said.append(
                Text.of(
                    "progress.value",
                    id=id_,
                    name=indicator.name,
                    value=value,
                    unit=indicator.unit,
                )
            )
        if self.note:
            said.append(Text.of("progress.note", note=self.note))
        return tuple(said)


def read_progress(text: str, indicators: Sequence[Indicator] = ()) -> Reading:
    return _Reader(text, tuple(indicators)).read()


# -- the plain form: one character for one character ----------------------------------------------

_PLAIN = str.maketrans(
    {chr(c): chr(c - 0xFEE0).lower() for c in range(0xFF01, 0xFF5F)}
    | {chr(c): chr(c).lower() for c in range(ord("A"), ord("Z") + 1)}
    | {"\u3000": " ", "\u2212": "-"}
)


def _is_separator(ch: str) -> bool:
    """Ends a clause: space, punctuation, emoji. ``%`` belongs to its number."""
    if ch == "%":
        return False
    category = unicodedata.category(ch)
    return ch.isspace() or category[0] in "PSZ" or category in ("Cc", "Cf", "Mn")


def _trims_off_note(ch: str) -> bool:
    """Trimmed from the ends of the note: like a separator, but brackets and quotes stay."""
    return _is_separator(ch) and unicodedata.category(ch) not in ("Ps", "Pe", "Pi", "Pf")


def _is_name_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_&"


def _is_ascii_letter(ch: str) -> bool:
    return "a" <= ch <= "z"


# -- numbers: 60, -3.2, 60%, 百分之六十五, 六成, 8成 --------------------------------------

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_CN_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_TENS = re.compile(r"([一二两三四五六七八九]?)十([一二三四五六七八九]?)")

_QUANTITY = re.compile(
    r"百分之(?P<cn_percent>[零〇一二两三四五六七八九十百]+)"
    r"|(?P<tenths>[一二两三四五六七八九十]|\d{1,2})成(?P<tenths_ones>[一二三四五六七八九])?"
    r"|(?P<sign>(?<![\d.%a-z])[-+])?(?P<number>\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?P<fraction>\.\d+)?"
    r"(?P<percent>[ \t]*%)?"
)


def _chinese_number(numeral: str) -> int | None:
    """一 … 九十九, 百 and 一百; anything else is not read."""
    if numeral in ("百", "一百"):
        return 100
    if numeral in _CN_DIGITS:
        return _CN_DIGITS[numeral]
    tens = _CN_TENS.fullmatch(numeral)
    if tens is None:
        return None
    return _CN_DIGITS.get(tens[1], 1) * 10 + _CN_DIGITS.get(tens[2], 0)


@dataclass(frozen=True)
class _Quantity:
    start: int
    end: int  # after the % sign, if any
    value: Decimal
    explicit: bool  # written as a percent: 60%, 百分之六十, 六成
    arabic: bool  # digits, so it may be an indicator's value
    digits_end: int


def _quantities(plain: str) -> list[_Quantity]:
    found: list[_Quantity] = []
    for m in _QUANTITY.finditer(plain):
        start, end = m.start(), m.end()
        if m["cn_percent"]:
            whole = _chinese_number(m["cn_percent"])
            if whole is not None:
                found.append(_Quantity(start, end, Decimal(whole), True, False, end))
        elif m["tenths"]:
            tens = int(m["tenths"]) if m["tenths"].isdigit() else _chinese_number(m["tenths"])
            ones = _chinese_number(m["tenths_ones"]) if m["tenths_ones"] else 0
            if tens is not None and ones is not None:
                found.append(_Quantity(start, end, Decimal(tens * 10 + ones), True, False, end))
        else:
            value = Decimal(m["number"].replace(",", "") + (m["fraction"] or ""))
            digits_end = m.end("fraction") if m["fraction"] else m.end("number")
            value = -value if m["sign"] == "-" else value
            found.append(_Quantity(start, end, value, bool(m["percent"]), True, digits_end))
    return found


# -- the words around numbers ----------------------------------------------------------------------

_MENTION = re.compile(r"@[a-z0-9_]{3,32}(?![a-z0-9_])")
# Never numbers to read: list markers (1、 (1) 2.), dates, times, fractions (3/5 is not guessed).
_LIST_MARKER = re.compile(
    r"(?m)(?:^|(?<=[;。]))[ \t]*(?:\(\d{1,2}\)|\d{1,2}(?:[、)]|\.(?!\d)))(?=[ \t]*\S)"
)
_OPAQUE = re.compile(
    r"(?<!\d)(?:19|20)\d\d[-/.]\d{1,2}(?:[-/.]\d{1,2})?(?!\d)"
    r"|(?<![\d:a-z_])\d{1,2}:\d{2}(?!\d)"
    r"|(?<![\d.])\d+(?:\.\d+)?/\d+(?!\d)"
)
# 目前进度 is a label; 目前完成了 is the start of a sentence.
_PREFIX = r"(?:总体|整体|目前|当前|项目|工程|形象|累计|总)?"
_LINK = r"(?:为|是|约|大约|达到?|已达到?|已经达到|将近|接近|近)?"
# 完成60%, 进度：约60%, 已完成了百分之六十 …: the number after them is the task's percent.
_LABEL_BEFORE = re.compile(
    rf"(?:{_PREFIX}(?:进度|进展|完成率|完成度)|已?完成了?)[ \t]*{_LINK}[ \t]*[:=]?[ \t]*\Z"
)
# ... but a bare number only after 进度 (完成60 may be 60 of anything).
_BARE_LABEL_BEFORE = re.compile(
    rf"{_PREFIX}(?:进度|进展|完成率|完成度)[ \t]*{_LINK}[ \t]*[:=]?[ \t]*\Z"
)
_APPROX_BEFORE = re.compile(r"(?:约|大约|将近|接近|近)[ \t]*\Z")
_SUFFIXES = (re.compile(r"(?:[ \t]*左右)?[ \t]*已?完成了?"), re.compile(r"[ \t]*左右"))
_ENDS_WITH_PROGRESS_WORD = re.compile(r"(?:进度|进展|完成率|完成度|完成了?)\Z")
# A number followed by one of these counts things: 3个项目, 2.5亿元, 2022年, 35 家.
_UNITS = (
    "个家项件次人名位户元亿万千百年月日号天周岁台套座栋幢间"
    "条批期场篇份所笔张辆处倍届轮季吨亩米斤克平公小"
)
_UNIT_AFTER = re.compile(rf"[ \t]*(?:%|[{_UNITS}])")
_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")

_SUBJECT = r"(?:目前|当前|现在|项目|工作|任务|整体|总体)*"
_AREA = r"(?:推进|建设|施工|进度|进展)?"
_STATE_WORDS: tuple[tuple[State, re.Pattern[str]], ...] = (
    (
        State.DONE,
        re.compile(
            rf"{_SUBJECT}(?:现已|已经|均已|都已|已)?(?:全部|全面|顺利|圆满|按期|如期|按时)?"
            r"(?:完成|办结|完结)(?:了|啦)?|done|completed|finished"
        ),
    ),
    (
        State.BLOCKED,
        re.compile(
            rf"{_SUBJECT}{_AREA}(?:严重|已经|已|仍然|仍|还是|依然)?"
            r"(?:受阻|卡住了?|卡壳了?|阻塞|停滞(?:不前)?|停工)(?:了|中|原因)?|blocked|stuck"
        ),
    ),
    (
        State.AT_RISK,
        re.compile(
            rf"{_SUBJECT}{_AREA}(?:严重|略有|稍有|有所|略|稍|已经|已|仍然|仍|较为|比较)?"
            r"(?:(?:有|存在)?(?:延期|逾期|滞后)?风险|滞后|延误"
            r"|(?:可能|或将|恐将|预计|将)(?:延期|逾期|延误|滞后))(?:了|原因)?"
            r"|at risk|delayed|behind schedule"
        ),
    ),
    (
        State.ON_TRACK,
        re.compile(
            rf"{_SUBJECT}{_AREA}(?:一切)?(?:正常(?:推进)?|按(?:计划|进度|序时|期)(?:推进|进行)?"
            r"|(?:有序|稳步|顺利)推进|顺利)|on track"
        ),
    ),
)
# Before a state word, separated by a space only: 未 完成, 部分 完成, 没有 风险, not done.
_NEGATIONS = (
    "未", "没", "没有", "不", "无", "部分", "基本", "大体", "即将", "将", "将要", "快", "快要",
    "预计", "争取", "力争", "计划", "确保", "能否", "not", "no", "never", "n't",
)  # fmt: skip


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    claimed: bool  # read and left out of the note; otherwise read inside prose, note keeps it


@dataclass(frozen=True)
class _StateWord:
    start: int
    end: int
    state: State


class _Reader:
    """One message: each rule reads what it can and marks the text it used."""

    def __init__(self, text: str, indicators: tuple[Indicator, ...]) -> None:
        self.text = text
        self.plain = text.translate(_PLAIN)
        self.indicators = indicators
        self.spans: list[_Span] = []
        self.percents: list[tuple[int, int]] = []  # (where, percent)
        self.bad_percent = False
        self.states: list[State] = []
        self.values: dict[str, float] = {}
        self.clashing: set[str] = set()  # indicators given two different values
        self.problems: list[Text] = []
        self.quantities = _quantities(self.plain)
        self.state_words = [
            _StateWord(m.start(), m.end(), state)
            for state, pattern in _STATE_WORDS
            for m in pattern.finditer(self.plain)
        ]
        self.start = 0  # where the message proper begins, after mentions

    def read(self) -> Reading:
        if not self.text.strip():
            return Reading(indicators=self.indicators)
        self._mentions()
        self.start = self._first_content()
        markers = [(m.start(), m.end()) for m in _LIST_MARKER.finditer(self.plain)]
        for start, end in [*markers, *((m.start(), m.end()) for m in _OPAQUE.finditer(self.plain))]:
            self._take(start, end, claimed=False)
        self._indicator_values()
        self._percents()
        self._state_clauses()
        self._emptied_list_markers(markers)
        percent, state = self._settle()
        return Reading(
            percent=percent,
            state=state,
            values=MappingProxyType(dict(self.values)),
            note=self._note(),
            problems=tuple(self.problems),
            indicators=self.indicators,
        )

    # -- what is taken -----------------------------------------------------------------------------

    def _take(self, start: int, end: int, *, claimed: bool) -> None:
        self.spans.append(_Span(start, end, claimed))

    def _free(self, start: int, end: int) -> bool:
        return all(s.end <= start or end <= s.start for s in self.spans)

    def _claimed_at(self, i: int) -> bool:
        return any(s.claimed and s.start <= i < s.end for s in self.spans)

    def _edge_before(self, i: int) -> bool:
        return i == 0 or _is_separator(self.plain[i - 1]) or self._claimed_at(i - 1)

    def _edge_after(self, i: int) -> bool:
        return i == len(self.plain) or _is_separator(self.plain[i]) or self._claimed_at(i)

    def _first_content(self) -> int:
        return next(
            (
                i
                for i, ch in enumerate(self.plain)
                if not _is_separator(ch) and not self._claimed_at(i)
            ),
            len(self.plain),
        )

    def _negated(self, start: int) -> bool:
        before = self.plain[:start].rstrip(" \t")
        return len(before) < start and before.endswith(_NEGATIONS)

    # -- rules -------------------------------------------------------------------------------------

    def _mentions(self) -> None:
        """``@superbot_test_bot 60%``: mentions at the start are not part of the note."""
        pos = 0
        while True:
            while pos < len(self.plain) and self.plain[pos].isspace():
                pos += 1
            mention = _MENTION.match(self.plain, pos)
            if mention is None:
                return
            self._take(mention.start(), mention.end(), claimed=True)
            pos = mention.end()

    def _indicator_values(self) -> None:
        """``invest=12.5``, ``高新技术产业投资增速 12.5``, ``投资增速12.5%``, ``新增高企 35家``."""
        for q in self.quantities:
            if not q.arabic or not self._free(q.start, q.end):
                continue
            word_start, word, assign = self._word_before(q.start)
            if not word:
                continue
            named = self._named_exactly(word)
            if named is None and _ENDS_WITH_PROGRESS_WORD.search(word):
                continue  # 进度 60, 完成 60%: the task's own percent
            named = named or self._named_partly(word)
            if named is None:
                if assign == "=" or (assign == ":" and _IDENTIFIER.fullmatch(word)):
                    self.problems.append(
                        Text.of(
                            "progress.unknown_indicator",
                            name=self.text[word_start : word_start + len(word)],
                            choices=tuple((i.id, i.name) for i in self.indicators),
                        )
                    )
                    self._take(word_start, q.end, claimed=True)
                continue
            offset, found = named
            # Said plainly: the whole word is the name. Inside a sentence, read only what fits.
            plainly = offset == 0 and self._edge_before(word_start)
            self._indicator_value(q, word_start + offset, word[offset:], found, plainly=plainly)

    def _indicator_value(
        self,
        q: _Quantity,
        start: int,
        name: str,
        found: tuple[Indicator, ...],
        *,
        plainly: bool,
    ) -> None:
        if len(found) > 1:
            fitting = tuple(i for i in found if self._unit_end(i, q, plainly=plainly) is not None)
            found = fitting if len(fitting) == 1 else found
        if len(found) > 1:
            if plainly:
                self.problems.append(
                    Text.of(
                        "progress.ambiguous_indicator",
                        name=self.text[start : start + len(name)],
                        choices=tuple(i.name for i in found),
                    )
                )
                self._take(start, q.end, claimed=True)
            return
        indicator = found[0]
        end = self._unit_end(indicator, q, plainly=plainly)
        if end is None:
            if plainly:
                written = _UNIT_AFTER.match(self.plain, q.digits_end)
                self.problems.append(
                    Text.of(
                        "progress.unit_mismatch",
                        name=indicator.name,
                        unit=indicator.unit,
                        written=written[0].strip() if written else "",
                    )
                )
                self._take(start, q.end, claimed=True)
            return
        self._take(start, end, claimed=plainly and self._edge_after(end))
        value = float(q.value)
        before = self.values.setdefault(indicator.id, value)
        if before != value and indicator.id not in self.clashing:
            self.clashing.add(indicator.id)
            self.problems.append(
                Text.of("progress.two_values", name=indicator.name, values=(before, value))
            )

    def _word_before(self, pos: int) -> tuple[int, str, str]:
        """The word typed just before a number, and the ``=`` or ``:`` between them."""
        j = len(self.plain[:pos].rstrip(" \t"))
        assign = ""
        if j > 0 and self.plain[j - 1] in "=:":
            assign = self.plain[j - 1]
            j = len(self.plain[: j - 1].rstrip(" \t"))
        i = j
        while i > 0 and _is_name_char(self.plain[i - 1]) and self._free(i - 1, i):
            i -= 1
        return i, self.plain[i:j], assign

    def _name_parts(self, word: str) -> list[int]:
        """Where a name may start in a word, longest part first: at least 2 characters, and
        never in the middle of an ASCII word."""
        return [
            k
            for k in range(len(word) - 1)
            if not (k and _is_ascii_letter(word[k]) and _is_ascii_letter(word[k - 1]))
        ]

    def _named_exactly(self, word: str) -> tuple[int, tuple[Indicator, ...]] | None:
        for k in self._name_parts(word):
            part = word[k:]
            found = tuple(i for i in self.indicators if part in (i.id.lower(), _plain(i.name)))
            if found:
                return k, found
        return None

    def _named_partly(self, word: str) -> tuple[int, tuple[Indicator, ...]] | None:
        for k in self._name_parts(word):
            found = tuple(i for i in self.indicators if word[k:] in _plain(i.name))
            if found:
                return k, found
        return None

    def _unit_end(self, indicator: Indicator, q: _Quantity, *, plainly: bool) -> int | None:
        """Where the number and its unit end; None when the unit typed is not the indicator's.

        Inside a sentence a typed unit must be the indicator's (完成投资2.5亿元 is not a growth
        rate in %); said plainly, any unit goes with an indicator that has none.
        """
        unit = _plain(indicator.unit)
        spaces = len(self.plain[q.digits_end :]) - len(self.plain[q.digits_end :].lstrip(" \t"))
        if unit and self.plain.startswith(unit, q.digits_end + spaces):
            return q.digits_end + spaces + len(unit)
        written = _UNIT_AFTER.match(self.plain, q.digits_end)
        if written is None:
            return q.digits_end
        typed = written[0].strip()
        if (unit and unit.startswith(typed)) or (plainly and not unit):
            return written.end()
        return None

    def _percents(self) -> None:
        bare: list[_Quantity] = []
        for q in self.quantities:
            if not self._free(q.start, q.end):
                continue
            if q.explicit:
                self._explicit_percent(q)
            elif q.arabic and not self._labelled_number(q):
                bare.append(q)
        # 60 资金已到位: a number alone opens the message. Any other lone number then makes two.
        alone = [q for q in bare if self._alone(q)]
        if alone and alone[0].start == self.start:
            for q in alone:
                self._take(q.start, q.end, claimed=True)
                self._read_percent(q)

    def _explicit_percent(self, q: _Quantity) -> None:
        """60%, 完成60%, 进度：约六成, 60%左右, 60%已完成, 目前完成了60% (inside prose)."""
        label = _LABEL_BEFORE.search(self.plain, 0, q.start)
        if label is not None and not self._free(label.start(), q.start):
            label = None
        approx = _APPROX_BEFORE.search(self.plain, 0, q.start)
        start = label.start() if label else approx.start() if approx else q.start
        ends = [m.end() for s in _SUFFIXES if (m := s.match(self.plain, q.end))] + [q.end]
        if self._edge_before(start) or self._state_word_ends_at(start):
            for end in ends:
                if self._edge_after(end) or self._state_word_starts_at(end):
                    self._take(start, end, claimed=True)
                    self._read_percent(q)
                    return
        if label is not None:
            self._take(start, q.end, claimed=False)
            self._read_percent(q)

    def _labelled_number(self, q: _Quantity) -> bool:
        """进度60, 进度：60 — a number without % after 进度 is still the percent."""
        label = _BARE_LABEL_BEFORE.search(self.plain, 0, q.start)
        if label is None or not self._free(label.start(), q.start):
            return False
        if not self._edge_after(q.end) or _UNIT_AFTER.match(self.plain, q.end):
            return False
        self._take(label.start(), q.end, claimed=self._edge_before(label.start()))
        self._read_percent(q)
        return True

    def _alone(self, q: _Quantity) -> bool:
        return (
            self._edge_before(q.start)
            and self._edge_after(q.end)
            and not _UNIT_AFTER.match(self.plain, q.end)
            and not self._names_indicator_at(q.end)
        )

    def _names_indicator_at(self, pos: int) -> bool:
        """``12.5 投资增速``: a value typed before its name is not the task's percent."""
        start = len(self.plain) - len(self.plain[pos:].lstrip(" \t"))
        end = start
        while end < len(self.plain) and _is_name_char(self.plain[end]) and self._free(end, end + 1):
            end += 1
        word = self.plain[start:end]
        return len(word) >= 2 and any(
            word[:2] in _plain(i.name) or word == i.id.lower() for i in self.indicators
        )

    def _read_percent(self, q: _Quantity) -> None:
        value = q.value
        if not 0 <= value <= 100:
            self.problems.append(Text.of("progress.percent_range", value=_number(value)))
            self.bad_percent = True
            return
        rounded = int(value.quantize(Decimal(1), ROUND_HALF_UP))
        # 99.5 % is not done: only 100 itself says so.
        self.percents.append((q.start, 99 if rounded == 100 and value < 100 else rounded))

    def _state_clauses(self) -> None:
        """完成, 已办结, 受阻, 有风险, 正常 … each a clause of its own, not negated."""
        for word in sorted(self.state_words, key=lambda w: (w.start, -w.end)):
            if self._free(word.start, word.end) and self._state_word_fits(word):
                self._take(word.start, word.end, claimed=True)
                self.states.append(word.state)

    def _state_word_fits(self, word: _StateWord) -> bool:
        return (
            self._edge_before(word.start)
            and self._edge_after(word.end)
            and not self._negated(word.start)
        )

    def _state_word_starts_at(self, pos: int) -> bool:
        """40%受阻: a state word right after a percent ends the percent's clause."""
        return any(
            w.start == pos and self._edge_after(w.end) and self._free(w.start, w.end)
            for w in self.state_words
        )

    def _state_word_ends_at(self, pos: int) -> bool:
        return any(
            w.end == pos
            and self._edge_before(w.start)
            and not self._negated(w.start)
            and self._free(w.start, w.end)
            for w in self.state_words
        )

    def _emptied_list_markers(self, markers: list[tuple[int, int]]) -> None:
        """``2、进度60%``: a list marker whose line was all read goes too."""
        for start, end in markers:
            line_end = self.plain.find("\n", end)
            line_end = len(self.plain) if line_end < 0 else line_end
            if not any(
                ch.isalnum() and not self._claimed_at(i)
                for i, ch in enumerate(self.plain[end:line_end], end)
            ):
                self.spans.append(_Span(start, end, claimed=True))

    # -- the reading -------------------------------------------------------------------------------

    def _settle(self) -> tuple[int | None, State | None]:
        percent: int | None = None
        distinct = list(dict.fromkeys(p for _, p in sorted(self.percents)))
        if len(distinct) > 1:
            self.problems.append(Text.of("progress.two_percents", values=tuple(distinct)))
        elif distinct and not self.bad_percent:
            percent = distinct[0]
        for id_ in self.clashing:
            del self.values[id_]
        said = list(dict.fromkeys(self.states))
        if percent == 100 and State.DONE not in said:
            said.insert(0, State.DONE)
        if State.DONE in said:
            if self.bad_percent or len(distinct) > 1:
                return None, None
            if percent is not None and percent != 100:
                self.problems.append(Text.of("progress.done_but_percent", percent=percent))
                return None, None
            others = [s for s in said if s not in (State.DONE, State.ON_TRACK)]
            if others:
                states = tuple(s.value for s in (State.DONE, *others))
                self.problems.append(Text.of("progress.two_states", states=states))
                return None, None
            return 100, State.DONE
        if State.ON_TRACK in said and len(said) > 1:
            self.problems.append(
                Text.of("progress.two_states", states=tuple(s.value for s in said))
            )
            return percent, None
        # Blocked work is at risk too: saying both is saying blocked.
        for state in (State.BLOCKED, State.AT_RISK, State.ON_TRACK):
            if state in said:
                return percent, state
        return percent, None

    def _note(self) -> str | None:
        """The text nobody read, from the person's own typing, with the read clauses cut out."""
        cuts = sorted((s.start, s.end) for s in self.spans if s.claimed)
        pieces: list[tuple[int, int]] = []  # kept words, trimmed of separators at both ends
        pos = 0
        for start, end in [*cuts, (len(self.text), len(self.text))]:
            first, last = pos, start
            while first < last and _trims_off_note(self.text[first]):
                first += 1
            while last > first and _trims_off_note(self.text[last - 1]):
                last -= 1
            if any(ch.isalnum() for ch in self.text[first:last]):
                pieces.append((first, last))
            pos = max(pos, end)
        if not pieces:
            return None
        note = self.text[pieces[0][0] : pieces[0][1]]
        for (_, left_end), (right_start, right_end) in pairwise(pieces):
            between = "".join(
                ch
                for i, ch in enumerate(self.text[left_end:right_start], left_end)
                if not self._claimed_at(i)
            )
            note += _joiner(between) + self.text[right_start:right_end]
        return note


def _joiner(between: str) -> str:
    """What joins two kept pieces of the note: a line break or punctuation the person typed."""
    if "\n" in between:
        return "\n"
    marks = [ch for ch in between if unicodedata.category(ch)[0] == "P" and ch not in "()（）"]
    return marks[0] if marks else " "


def _plain(text: str) -> str:
    return text.translate(_PLAIN)


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


# -- asking for an extension: "申请延期至12月31日，原因：土地审批未完成" --------------------------


@dataclass(frozen=True)
class ExtensionAsk:
    """A reply that asks to move the due date (延期申请), read from what was typed."""

    to: date | None  # None: asked, but no date could be read
    reason: str | None


# Only these ask; "部分工程延期" in a progress note does not.
_ASKS = re.compile(r"申请(?:延期|推迟|顺延|延长)|延期申请|(?:延期|推迟|顺延|延长)(?:至|到)")
_FULL_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")
_MONTH_DAY = re.compile(r"(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")
_YEAR_END = re.compile(r"(?:(\d{4})\s*年)?\s*(?:年底|年末)")
_REASON = re.compile(r"(?:原因|理由)\s*(?:是|为)?\s*[:：]?\s*")


def read_extension(text: str, today: date) -> ExtensionAsk | None:
    """The date and reason of a 延期申请 in ``text``; None when it asks for none. A month and
    day without a year is the next one to come (12月31日 written in December is this year's;
    1月15日 written in December, next year's)."""
    plain = _plain(text)
    asked = _ASKS.search(plain)
    if asked is None:
        return None
    to, end = _date_after(plain, asked.end(), today)
    reason_at = _REASON.search(plain, asked.end())
    if reason_at is not None:
        reason = text[reason_at.end() :]
    elif end is not None:
        reason = text[end:]
    else:
        reason = ""
    reason = reason.strip(" \t\r\n，,。.;；:：")
    return ExtensionAsk(to, reason or None)


def read_new_date(text: str, today: date) -> ExtensionAsk:
    """``/extend`` after the task: a date first (2022-12-31, 12月31日, 年底), the reason after."""
    plain = _plain(text)
    to, end = _date_after(plain, 0, today)
    reason = text[end:] if end is not None else text
    reason = reason.strip(" \t\r\n，,。.;；:：")
    reason_at = _REASON.match(reason)
    if reason_at is not None:
        reason = reason[reason_at.end() :]
    return ExtensionAsk(to, reason or None)


def _date_after(plain: str, start: int, today: date) -> tuple[date | None, int | None]:
    found = _FULL_DATE.search(plain, start)
    if found is not None:
        return _day(int(found[1]), int(found[2]), int(found[3])), found.end()
    found = _MONTH_DAY.search(plain, start)
    if found is not None:
        month, day = int(found[1]), int(found[2])
        this_year = _day(today.year, month, day)
        if this_year is not None and this_year < today:
            return _day(today.year + 1, month, day), found.end()
        return this_year, found.end()
    found = _YEAR_END.search(plain, start)
    if found is not None:
        return date(int(found[1]) if found[1] else today.year, 12, 31), found.end()
    return None, None


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
