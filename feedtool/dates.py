"""Dates as Chinese (and English) blogs write them -> timezone-aware datetimes, and back.

>>> parse_date("八月 24, 2025").isoformat()
'2025-08-24T00:00:00+08:00'
>>> format_rfc822(parse_date("2025年8月24日 下午3:04"))
'Sun, 24 Aug 2025 15:04:00 +0800'

The contract is ``DATES.md``.  The text is NFKC-normalised, cut into tokens by one
regular expression (longest word first, so 十一月 is 十一 + 月, never 十 + 一月), and read
by a small grammar that collects parts (a date, a clock time, a weekday, a zone, a
relative phrase) and then checks that they fit together.  Anything that does not fit
raises :class:`DateError`; nothing is ever guessed.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["DateError", "format_rfc822", "format_rfc3339", "parse_date"]


class DateError(ValueError):
    """A date that cannot be read with certainty: ``"<text>: <reason>"``.

    ``text`` is the input as given and ``reason`` says, in plain words, what is wrong.
    """

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason
        shown = text if len(text) <= 80 else text[:79] + "…"
        super().__init__(f"{shown}: {reason}")

    def __reduce__(self):  # keep pickling (multiprocessing, pytest-xdist) working
        return (type(self), (self.text, self.reason))


class _Reject(Exception):
    """Raised inside the grammar; parse_date adds the input text and re-raises DateError."""


# --------------------------------------------------------------------------- tables

_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # February: at most

_CN_DIGITS = {
    "〇": 0,
    "零": 0,
    "○": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "兩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_TENS = {"廿": 20, "卅": 30}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_JA_WEEKDAY = {"月": 0, "火": 1, "水": 2, "木": 3, "金": 4, "土": 5, "日": 6}


def _words(kind: str, value: object, *texts: str) -> dict[str, tuple[str, object]]:
    return {t: (kind, value) for t in texts}


# CJK words; the tokenizer tries longer words first.
_CJK_WORDS: dict[str, tuple[str, object]] = {
    **_words("YEAR", None, "年"),
    **_words("MONTH", None, "月"),
    **_words("DAY", None, "日", "号", "號"),
    **_words("HOUR", None, "时", "時", "点", "點", "点钟", "點鐘", "點鍾"),
    **_words("MIN", None, "分"),
    **_words("MINU", None, "分钟", "分鐘", "分鍾"),
    **_words("SEC", None, "秒", "秒钟", "秒鐘"),
    **_words("HALF", None, "半"),
    **_words("HALFP", None, "个半", "個半"),
    **_words("QTR", None, "刻"),
    **_words("HOURU", None, "小时", "小時", "个小时", "個小時", "钟头", "鐘頭", "个钟头", "個鐘頭"),
    **_words("DAYU", None, "天"),
    **_words("WEEKU", None, "个星期", "個星期", "个礼拜", "個禮拜"),
    **_words("MONTHU", None, "个月", "個月", "ヶ月", "か月", "カ月", "ケ月"),
    **_words("WDP", None, "星期", "周", "週", "礼拜", "禮拜"),
    **_words("AGO", None, "前", "以前", "之前"),
    **_words("LATER", None, "后", "後", "以后", "以後", "之后", "之後"),
    **_words("MARK", "am", "上午", "早上", "早晨", "清晨", "凌晨", "淩晨", "午前", "早"),
    **_words("MARK", "pm", "下午", "傍晚", "午后", "午後"),
    **_words("MARK", "eve", "晚上", "夜晚", "晚间", "晚間", "夜间", "夜間", "晚"),
    **_words("MARK", "noon", "中午"),
    **_words("RELDAY", (0, None), "今天", "今日"),
    **_words("RELDAY", (1, None), "昨天", "昨日"),
    **_words("RELDAY", (2, None), "前天"),
    **_words("RELDAY", (3, None), "大前天"),
    **_words("RELDAY", (0, "am"), "今早", "今晨"),
    **_words("RELDAY", (0, "eve"), "今晚"),
    **_words("RELDAY", (1, "eve"), "昨晚", "昨夜"),
    **_words("RELDAY", (2, "eve"), "前晚"),
    **_words(
        "FUTURE",
        None,
        "明天",
        "明日",
        "后天",
        "後天",
        "大后天",
        "大後天",
        "明早",
        "明晚",
        "明年",
        "下周",
        "下週",
        "下星期",
        "下个星期",
        "下個星期",
        "下礼拜",
        "下禮拜",
    ),
    **_words("YREL", 0, "今年"),
    **_words("YREL", 1, "去年"),
    **_words("YREL", 2, "前年"),
    **_words("NOW", None, "刚刚", "刚才", "剛剛", "剛才"),
    **_words("ERA", 1911, "民國", "民国"),
    **_words("ERA", 2018, "令和"),
    **_words("ERA", 1988, "平成"),
    **_words("ERA", 1925, "昭和"),
    **_words("YUAN", None, "元"),
    # Zone names of rule 3; they count even in parentheses.
    **_words("ZONE", 480, "北京时间", "北京時間", "香港时间", "香港時間", "东八区", "東八區"),
    # Zone descriptions: they count when written out, but not in parentheses (rule 3).
    **_words("ZONED", 480, "中国标准时间", "中國標準時間"),
    **_words("ZONED", 540, "日本時間", "日本标准时间", "日本標準時"),
    **_words(
        "WKREL",
        -1,
        "上周",
        "上週",
        "上星期",
        "上个星期",
        "上個星期",
        "上礼拜",
        "上禮拜",
        "上个礼拜",
        "上個禮拜",
    ),
    **_words("WKREL", 0, "本周", "本週", "这周", "這週", "本星期", "这个星期", "這個星期"),
    # Labels a page puts before its date; accepted only in front of the date.
    **_words(
        "LABEL",
        None,
        "发布于",
        "发表于",
        "更新于",
        "写于",
        "创建于",
        "發佈於",
        "發布於",
        "發表於",
        "更新於",
        "寫於",
        "建立於",
        "发布时间",
        "发表时间",
        "更新时间",
        "创建时间",
        "發佈時間",
        "發布時間",
        "發表時間",
        "更新時間",
        "建立時間",
        "发布日期",
        "发表日期",
        "更新日期",
        "發佈日期",
        "發表日期",
        "日期",
        "时间",
        "時間",
        "发布",
        "发表",
        "更新",
        "發佈",
        "發布",
        "發表",
        "最后更新",
        "最後更新",
        "最后更新于",
        "最後更新於",
        "于",
        "於",
        "投稿日",
        "公開日",
        "更新日",
        "公元",
        "西元",
    ),
}

_ALPHA_WORDS: dict[str, tuple[str, object]] = {
    **{m.lower(): ("MON", i + 1) for i, m in enumerate(_MONTH_NAMES)},
    **{m[:3].lower(): ("MON", i + 1) for i, m in enumerate(_MONTH_NAMES)},
    "sept": ("MON", 9),
    **{d.lower(): ("WD", i) for i, d in enumerate(_DAY_NAMES)},
    **{d[:3].lower(): ("WD", i) for i, d in enumerate(_DAY_NAMES)},
    **_words("WD", 1, "tues"),
    **_words("WD", 2, "weds"),
    **_words("WD", 3, "thur", "thurs"),
    **_words("AMPM", "am", "am"),
    **_words("AMPM", "pm", "pm"),
    **_words("UTCN", None, "utc", "gmt", "ut"),
    **_words("Z", None, "z"),
    **_words("T", None, "t"),
    **_words("ORD", None, "st", "nd", "rd", "th"),
    **_words("EUNIT", "s", "second", "seconds", "sec", "secs"),
    **_words("EUNIT", "min", "minute", "minutes", "min", "mins"),
    **_words("EUNIT", "h", "hour", "hours", "hr", "hrs"),
    **_words("EUNIT", "d", "day", "days"),
    **_words("EUNIT", "w", "week", "weeks"),
    **_words("EUNIT", "mo", "month", "months"),
    **_words("EUNIT", "y", "year", "years", "yr", "yrs"),
    **_words("AGO", None, "ago"),
    **_words("LATER", None, "later"),
    **_words("IN", None, "in"),
    **_words("A", None, "a", "an"),
    **_words("RELDAY", (0, None), "today"),
    **_words("RELDAY", (0, "eve"), "tonight"),
    **_words("RELDAY", (1, None), "yesterday"),
    **_words("FUTURE", None, "tomorrow"),
    **_words("NOW", None, "now"),
    **_words("JUST", None, "just"),
    **_words("AT", None, "at"),
    **_words("OF", None, "of"),
    **_words(
        "LABEL",
        None,
        "posted",
        "published",
        "updated",
        "on",
        "date",
        "last",
        "modified",
        "created",
        "written",
    ),
}


@functools.cache
def _token_re() -> re.Pattern[str]:
    """The tokenizer, compiled on first use: it is large, and the seed form never needs it."""
    return re.compile(
        "|".join(
            (
                r"(?P<S> +)",
                r"(?P<N>[0-9]+)",
                r"(?P<AP>[ap]\.m\.?)",
                "(?P<W>"
                + "|".join(map(re.escape, sorted(_CJK_WORDS, key=len, reverse=True)))
                + ")",
                "(?P<C>[" + "".join(_CN_DIGITS) + "".join(_CN_TENS) + "".join(_CN_UNITS) + "]+)",
                r"(?P<A>[a-z]+)",
                r"(?P<B>\[[^\]]*\])",
                r"(?P<P>[-+/.:,()@。])",
                r"(?P<X>.)",
            )
        ),
        re.IGNORECASE | re.ASCII | re.DOTALL,
    )


# After NFKC: the minus sign and hyphens some editors use, and invisible characters
# that copy-paste leaves behind.
_CLEANUP = str.maketrans(
    {
        "\u2212": "-",
        "\u2010": "-",
        "\u2011": "-",
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
    }
)

_MAX_LEN = 200  # no real date is longer; bounds the work done on junk input

Token = tuple[str, str, Any]  # (kind, text, value): ("N", "08", 8), ("MONTH", "月", None), ...
_END: Token = ("END", "", None)


def _cn_number(text: str) -> int | None:
    """Value of a Chinese numeral: digit by digit (二〇二五) or positional (二十四, 廿四)."""
    if not any(c in _CN_UNITS or c in _CN_TENS for c in text):
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    total, digit, last_unit = 0, None, 10_000
    for c in text:
        if c in _CN_DIGITS:
            if digit:  # two digits in a row (二三十) mean a range, not a number
                return None
            digit = _CN_DIGITS[c]
        elif c in _CN_TENS:
            if digit is not None or last_unit <= 10:
                return None
            total, last_unit = total + _CN_TENS[c], 10
        else:
            unit = _CN_UNITS[c]
            if unit >= last_unit or digit == 0:
                return None
            total, last_unit, digit = total + (1 if digit is None else digit) * unit, unit, None
    return total + (digit or 0)


def _tokenize(text: str) -> list[Token]:
    """Cut normalised text into (kind, text, value) tokens; spaces only separate."""
    tokens: list[Token] = []
    for m in _token_re().finditer(text):
        kind, s = m.lastgroup, m.group()
        if kind == "S":
            continue
        if kind == "N":
            tokens.append(("N", s, int(s)))
        elif kind == "C":
            tokens.append(("C", s, _cn_number(s)))
        elif kind == "W":
            tokens.append((*_CJK_WORDS[s][:1], s, _CJK_WORDS[s][1]))
        elif kind == "A":
            found = _ALPHA_WORDS.get(s.lower())
            if found:
                tokens.append((found[0], s, found[1]))
            elif s.isupper() and 2 <= len(s) <= 5:  # zone abbreviations are written in capitals
                tokens.append(("ABBR", s, s))
            else:
                tokens.append(("WORD", s, None))
        elif kind == "AP":
            tokens.append(("AMPM", s, s[0].lower() + "m"))
        elif kind == "B":
            tokens.append(("BR", s, s[1:-1].strip()))
        elif kind == "P":
            # A dash with spaces on both sides separates a range (10:00 - 12:00), not an offset.
            spaced = text[m.start() - 1 : m.start()] == " " and text[m.end() : m.end() + 1] == " "
            tokens.append((s, s, spaced))
        else:
            tokens.append(("X", s, None))
    return tokens


def _small(tok: Token, digits: int = 2) -> int | None:
    """A day, month, hour, minute or count: Arabic (up to `digits` digits) or Chinese.

    Chinese digit-by-digit numerals are accepted only as one digit or 零 + digit (零四),
    because 一二月 means "January or February", not 12.
    """
    if tok[0] == "N":
        return tok[2] if len(tok[1]) <= digits else None
    if tok[0] == "C" and tok[2] is not None:
        s = tok[1]
        if (
            len(s) == 1
            or any(c in _CN_UNITS or c in _CN_TENS for c in s)
            or (len(s) == 2 and s[0] in "〇零○")
        ):
            return tok[2]
    return None


def _text(tokens: list[Token]) -> str:
    return "".join(t[1] for t in tokens)


# --------------------------------------------------------------------------- zones

_ZONES: dict[str, tzinfo] = {}


def _site_zone(tz: str | tzinfo, text: str) -> tzinfo:
    """The site zone as a tzinfo; names are looked up once (ZoneInfo's own cache is slower)."""
    if isinstance(tz, str):
        zone = _ZONES.get(tz)
        if zone is None:
            try:
                zone = ZoneInfo(tz)
            except (ZoneInfoNotFoundError, ValueError, OSError):
                raise DateError(
                    text, f"unknown time zone {tz!r} (use an IANA name such as Asia/Shanghai)"
                ) from None
            _ZONES[tz] = zone
        return zone
    if isinstance(tz, tzinfo):
        key = getattr(tz, "zone", None)
        if hasattr(tz, "localize") and isinstance(key, str):  # pytz: its tzinfo gives LMT
            return _site_zone(key, text)
        return tz
    raise TypeError(f"tz must be an IANA zone name or a tzinfo, not {type(tz).__name__}")


@functools.cache
def _fixed(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))


def _localize(wall: datetime, zone: tzinfo) -> datetime:
    """Attach a site zone to a wall time: fold=0 when repeated, moved forward when skipped."""
    dt = wall.replace(tzinfo=zone, fold=0)
    if dt.utcoffset() == dt.replace(fold=1).utcoffset():
        return dt
    moved = dt.astimezone(UTC).astimezone(zone)
    return dt if moved.replace(tzinfo=None) == wall else moved


# --------------------------------------------------------------------------- grammar

_SEPARATORS = frozenset({",", "@", "AT"})
# Text without any of these has no date in it.
_DATE_WORDS = frozenset(
    {
        "N",
        "C",
        "A",
        "HALF",
        "MON",
        "WD",
        "WDP",
        "RELDAY",
        "NOW",
        "FUTURE",
        "YREL",
        "ERA",
        "WKREL",
        "JUST",
        "IN",
    }
)
# What may follow "3点15" without making 15 something other than the minute.
_NOT_BARE_MINUTE = frozenset(
    {
        "YEAR",
        "MONTH",
        "DAY",
        "HOUR",
        "MIN",
        "SEC",
        "MINU",
        "HOURU",
        "DAYU",
        "WDP",
        "WEEKU",
        "MONTHU",
        "AGO",
        "LATER",
        "HALFP",
        "QTR",
        ":",
        "-",
        "/",
        ".",
        "N",
        "C",
        "EUNIT",
    }
)
_UNITS = {
    "SEC": "s",
    "MIN": "min",
    "MINU": "min",
    "HOURU": "h",
    "DAYU": "d",
    "DAY": "d",
    "WDP": "w",
    "WEEKU": "w",
    "MONTHU": "mo",
    "YEAR": "y",
}
# RFC 822 section 5.1 (still in RFC 5322 as obsolete zones).
_RFC822_ZONES = {
    "EST": -300,
    "EDT": -240,
    "CST": -360,
    "CDT": -300,
    "MST": -420,
    "MDT": -360,
    "PST": -480,
    "PDT": -420,
}
_INSTANT_UNITS = {"s": "seconds", "min": "minutes", "h": "hours"}
_PUNCT_HANDLERS = {"+": "sign", "-": "sign", "(": "paren", ":": "colon", ".": "stop", "。": "stop"}


class _Grammar:
    """Reads the parts of one date string; :meth:`build` turns them into a datetime."""

    def __init__(self, tokens: list[Token]) -> None:
        self.t = tokens + [_END] * 8  # look-ahead never runs off the end
        self.n = len(tokens)
        self.i = 0
        self.last = ""  # kind of the last part read, for separators such as T
        self.ymd: tuple[int | None, int, int] | None = None
        self.ymd_text = ""
        self.year: int | None = None  # a year written apart from its month and day
        self.yrel: int | None = None  # 今年 / 去年 / 前年
        self.weekday: tuple[int, str] | None = None
        self.week_back: int | None = None  # 上周X / 本周X
        self.clock: tuple[int, int, int, int] | None = None
        self.clock_text = ""
        self.marker: tuple[str, str] | None = None
        self.days_back: int | None = None  # 今天 / 昨天 / 前天
        self.ago: tuple[str, float, str] | None = None  # (unit, count, text)
        self.now_word = False
        self.zones: list[tuple[int, int, str]] = []  # (rank, minutes, text)
        self.abbr: str | None = None
        self.bracket: tzinfo | None = None
        self.rfc822 = False  # written day-first with an English month, as RFC 822 does

    # -- driving -------------------------------------------------------------------

    def read(self) -> _Grammar:
        """Read every token into a part; a token that fits nowhere is refused."""
        while self.i < self.n:
            kind = self.t[self.i][0]
            if kind in _SEPARATORS:
                self.i += 1
                continue
            handler = getattr(self, "_on_" + _PUNCT_HANDLERS.get(kind, kind), None)
            if handler is None:
                self._unreadable()
            handler()
        return self

    def _unreadable(self) -> NoReturn:
        j = self.i
        while j < self.n and self.t[j][0] in ("X", "WORD", "ABBR", "HOUR") and j - self.i < 12:
            j += 1
        raise _Reject(f"cannot read {_text(self.t[self.i : max(j, self.i + 1)])!r}")

    def _set(self, name: str, value: object, what: str) -> None:
        if getattr(self, name) is not None:
            raise _Reject(f"it gives {what} twice")
        setattr(self, name, value)

    # -- numbers: relative phrases, clock times, dates, years ------------------------

    def _on_N(self) -> None:
        if self._relative() or self._clock() or self._date():
            return
        tok = self.t[self.i]
        if tok[0] == "N" and len(tok[1]) == 4:  # the year of 'Aug 24, 2025' or Unix `date`
            self._set_year(tok[2])
            self.i += 1
            self.last = "date"
            return
        if self.t[self.i + 1][0] == "DAY":
            raise _Reject("the month is missing")
        raise _Reject(f"cannot tell what {tok[1]!r} is (a date needs a month and a day)")

    _on_C = _on_N
    _on_A = _on_N  # "a day ago"

    def _on_HALF(self) -> None:
        if not self._relative():
            self._unreadable()

    def _count(self, j: int) -> tuple[float, int] | None:
        """The N of "N小时前": Arabic, Chinese, decimal, 半, N个半 or "a"/"an"."""
        tok = self.t[j]
        if tok[0] == "HALF":
            return 0.5, j + 1
        if tok[0] == "A":
            return 1, j + 1
        if (
            tok[0] == "N"
            and self.t[j + 1][0] == "."
            and self.t[j + 2][0] == "N"
            and len(tok[1]) <= 4
        ):
            return float(f"{tok[1]}.{self.t[j + 2][1]}"), j + 3
        value = _small(tok, 4) if tok[0] == "N" else _small(tok)
        if value is None:
            return None
        if self.t[j + 1][0] == "HALFP":
            return value + 0.5, j + 2
        return value, j + 1

    def _relative(self) -> bool:
        """N秒/分钟/小时/天/周/个月/年 前 (or 后, refused), and "3 hours ago"."""
        counted = self._count(self.i)
        if counted is None:
            return False
        count, j = counted
        kind = self.t[j][0]
        if kind == "EUNIT":
            unit = self.t[j][2]
        elif kind in _UNITS:
            unit = _UNITS[kind]
            if kind in ("HOURU", "MINU") and self.t[j + 1][0] == "HALF":  # 一小时半前
                count, j = count + 0.5, j + 1
        else:
            return False
        direction = self.t[j + 1][0]
        if direction not in ("AGO", "LATER"):
            return False
        phrase = _text(self.t[self.i : j + 2])
        if direction == "LATER":
            raise _Reject(f"{phrase} is in the future")
        if count != int(count) and unit not in _INSTANT_UNITS:
            raise _Reject(f"{phrase} is not a precise time")
        self._set("ago", (unit, count, phrase), "a relative time")
        self.i = j + 2
        self.last = "date"
        return True

    def _clock(self) -> bool:
        """H:MM[:SS[.fff]], H时/点[MM分|半|N刻|MM][SS秒], and "3 PM"."""
        t, i = self.t, self.i
        tok = t[i]
        if tok[0] == "N" and t[i + 1][0] == ":" and t[i + 2][0] == "N" and len(tok[1]) <= 2:
            minutes, second, micro, j = t[i + 2], 0, 0, i + 3
            if len(minutes[1]) != 2:
                raise _Reject(f"write minutes with two digits ({tok[1]}:{minutes[1]})")
            if t[j][0] == ":" and t[j + 1][0] == "N":
                if len(t[j + 1][1]) != 2:
                    raise _Reject(f"write seconds with two digits ({_text(t[i : j + 2])})")
                second, j = t[j + 1][2], j + 2
                if t[j][0] == "." and t[j + 1][0] == "N":
                    micro, j = int(t[j + 1][1][:6].ljust(6, "0")), j + 2  # ns: truncated
            self._set_clock((tok[2], minutes[2], second, micro), t[i:j], j)
            return True
        hour = _small(tok)
        if hour is not None and t[i + 1][0] == "HOUR":
            minute = second = 0
            j = i + 2
            if t[j][0] == "HALF":
                minute, j = 30, j + 1
            elif (value := _small(t[j])) is not None:
                after = t[j + 1][0]
                if after == "MIN":
                    minute, j = value, j + 2
                elif after == "QTR":
                    if not 1 <= value <= 3:
                        raise _Reject(f"{_text(t[j : j + 2])} is not a quarter of an hour")
                    minute, j = 15 * value, j + 2
                elif after not in _NOT_BARE_MINUTE:  # 3点15
                    minute, j = value, j + 1
            if (value := _small(t[j])) is not None and t[j + 1][0] == "SEC":
                second, j = value, j + 2
            self._set_clock((hour, minute, second, 0), t[i:j], j)
            return True
        if tok[0] == "N" and len(tok[1]) <= 2 and t[i + 1][0] == "AMPM":
            self._set_clock((tok[2], 0, 0, 0), t[i : i + 1], i + 1)
            return True
        return False

    def _set_clock(self, clock: tuple[int, int, int, int], toks: list[Token], j: int) -> None:
        text = _text(toks)
        if clock[1] > 59:
            raise _Reject(f"minute {clock[1]} does not exist in {text} (minutes run 0-59)")
        if clock[2] > 59:
            raise _Reject(f"second {clock[2]} does not exist in {text} (seconds run 0-59)")
        self._set("clock", clock, "a clock time")
        self.clock_text = text
        self.i = j
        self.last = "clock"
        if self.t[j][0] == "AMPM":
            self._on_AMPM()

    def _date(self) -> bool:
        """Dates that start with a number: 2025年8月24日, 八月 24, 2025-08-24, 24 Aug 2025 ..."""
        t, i = self.t, self.i
        tok, nxt = t[i], t[i + 1][0]
        if tok[0] not in ("N", "C"):
            return False
        if nxt == "YEAR":
            self._cjk_after_year(self._year_number(tok), i + 2)
            return True
        if nxt == "MONTH":
            self._cjk_month_day(i, None)
            return True
        if tok[0] != "N":
            return False
        if len(tok[1]) == 8:
            return self._compact(tok)
        if nxt in ("-", "/", ".") and t[i + 2][0] == "N":
            return self._numeric(tok, nxt)
        if len(tok[1]) == 4 and (t[i + 1][0] == "MON" or t[i + 2][0] == "MON"):
            return self._year_month_name(i)
        return self._day_month(i)

    def _year_number(self, tok: Token) -> int:
        if tok[0] == "N" and len(tok[1]) == 4:
            return tok[2]
        if (
            tok[0] == "C"
            and tok[2] is not None
            and (len(tok[1]) == 4 or any(c in _CN_UNITS for c in tok[1]))
        ):
            return tok[2]
        raise _Reject(f"write the year with four digits ({tok[1]}年)")

    def _cjk_after_year(self, year: int, j: int) -> None:
        if year < 1:
            raise _Reject("there is no year 0")
        if _small(self.t[j]) is not None and self.t[j + 1][0] == "MONTH":
            self._cjk_month_day(j, year)
            return
        if self.t[j][0] in ("N", "C") and self.t[j + 1][0] == "MONTH":
            raise _Reject(f"cannot read the month {self.t[j][1]}月")
        self._set_year(year)
        self.i = j
        self.last = "date"

    def _cjk_month_day(self, j: int, year: int | None) -> None:
        """M月D[日|号|號] and Hugo's 八月 24 (the year may follow as ', 2025')."""
        t = self.t
        month = _small(t[j])
        if month is None:
            raise _Reject(f"cannot read the month {t[j][1]}月")
        _check_month(month)
        j += 2
        day = _small(t[j])
        if day is None or t[j + 1][0] in ("HOUR", ":", "AMPM", "MIN", "SEC"):
            raise _Reject("the day is missing")
        j += 1
        if t[j][0] == "DAY":
            j += 1
        self._set_ymd((year, month, day), t[self.i : j], j)

    def _numeric(self, tok: Token, sep: str) -> bool:
        """Y-M-D with -, / or . (year first), and M-D without a year."""
        t, i = self.t, self.i
        second = t[i + 2]
        if len(tok[1]) == 4:
            if t[i + 3][0] != sep or t[i + 4][0] != "N":
                if len(second[1]) <= 2 and t[i + 3][0] not in ("-", "/", "."):
                    raise _Reject("the day is missing")
                raise _Reject(f"cannot read {_text(t[i : i + 5])!r} as year-month-day")
            third = t[i + 4]
            if len(second[1]) > 2 or len(third[1]) > 2:
                raise _Reject(f"cannot read {_text(t[i : i + 5])!r} as year-month-day")
            _check_month(second[2])
            self._set_ymd((tok[2], second[2], third[2]), t[i : i + 5], i + 5)
            return True
        if len(tok[1]) > 2 or len(second[1]) > 2:
            return False
        if t[i + 3][0] in ("-", "/", ".") and t[i + 4][0] == "N":
            raise _Reject(
                "put the year first, as in 2025-08-24 "
                "(day-first and month-first dates are ambiguous)"
            )
        _check_month(tok[2])
        self._set_ymd((None, tok[2], second[2]), t[i : i + 3], i + 3)
        return True

    def _compact(self, tok: Token) -> bool:
        """ISO basic format: 20250824[T150405]."""
        s = tok[1]
        month = int(s[4:6])
        _check_month(month)
        self._set_ymd((int(s[:4]), month, int(s[6:])), [tok], self.i + 1)
        t, j = self.t, self.i
        if t[j][0] == "T" and t[j + 1][0] == "N" and len(t[j + 1][1]) in (4, 6):
            c = t[j + 1][1]
            micro, end = 0, j + 2
            if t[end][0] == "." and t[end + 1][0] == "N" and len(c) == 6:
                micro, end = int(t[end + 1][1][:6].ljust(6, "0")), end + 2
            self._set_clock((int(c[:2]), int(c[2:4]), int(c[4:] or 0), micro), t[j:end], end)
        return True

    def _day_month(self, i: int) -> bool:
        """24 Aug 2025, 24-Aug-2025, 24th of August, 24 八月 2025."""
        t = self.t
        day = _small(t[i])
        if day is None or t[i][0] != "N":
            return False
        j = i + 1
        if t[j][0] == "ORD":
            j += 1
        if t[j][0] in ("-", "/", ".", "OF"):
            j += 1
        if t[j][0] == "MON":
            month = t[j][2]
            j += 1
            self.rfc822 = True
        elif t[j][0] == "C" and t[j + 1][0] == "MONTH" and (small := _small(t[j])) is not None:
            month = small
            _check_month(month)
            j += 2
        else:
            return False
        if t[j][0] == ".":
            j += 1
        year = None
        k = j + (t[j][0] in ("-", "/", ",", "."))
        if t[k][0] == "N" and len(t[k][1]) == 4:
            year, j = t[k][2], k + 1
        elif t[k][0] == "N" and t[k + 1][0] not in (":", "AMPM", "HOUR"):  # RFC 850: 24-Aug-25
            raise _Reject(f"write the year with four digits ({_text(t[i : k + 1])})")
        self._set_ymd((year, month, day), t[i:j], j)
        return True

    def _year_month_name(self, i: int) -> bool:
        """2025 Aug 24, 2025-Aug-24."""
        t = self.t
        j = i + 1 + (t[i + 1][0] != "MON")
        month = t[j][2]
        j += 1
        if t[j][0] == ".":
            j += 1
        if t[j][0] in ("-", "/", "."):
            j += 1
        day = _small(t[j])
        if day is None or t[j][0] != "N" or t[j + 1][0] == ":":
            raise _Reject("the day is missing")
        j += 1 + (t[j + 1][0] == "ORD")
        self._set_ymd((t[i][2], month, day), t[i:j], j)
        return True

    def _set_year(self, year: int) -> None:
        self._set("year", year, "a year")

    def _set_ymd(self, ymd: tuple[int | None, int, int], toks: list[Token], j: int) -> None:
        if ymd[0] is not None and ymd[0] < 1:
            raise _Reject("there is no year 0")
        self._set("ymd", ymd, "a date")
        self.ymd_text = _text(toks)
        self.i = j
        self.last = "date"

    # -- words -----------------------------------------------------------------------

    def _on_MON(self) -> None:
        """Aug 24, August 24th, Sept. 3 (the year may follow later, as in Unix `date`)."""
        t, i = self.t, self.i
        j = i + 1 + (t[i + 1][0] == ".")
        if t[j][0] in ("-", "/"):
            j += 1
        day = _small(t[j])
        if day is None or t[j][0] != "N" or t[j + 1][0] in (":", "HOUR", "AMPM"):
            raise _Reject("the day is missing")
        j += 1 + (t[j + 1][0] == "ORD")
        year = None
        if t[j][0] in ("-", "/") and t[j + 1][0] == "N" and len(t[j + 1][1]) == 4:
            year, j = t[j + 1][2], j + 2
        self._set_ymd((year, t[i][2], day), t[i:j], j)

    def _on_WD(self) -> None:
        tok = self.t[self.i]
        self.i += 1 + (self.t[self.i + 1][0] == ".")
        self._set_weekday(tok[2], tok[1])

    def _on_WDP(self) -> None:
        """星期X / 周X / 週X / 礼拜X."""
        start = self.i
        self.i += 1
        self._set_weekday(self._weekday_after_prefix(), _text(self.t[start : self.i]))

    def _weekday_after_prefix(self) -> int:
        t, j = self.t, self.i
        tok = t[j]
        if tok[0] == "C" and tok[1][0] in _CN_WEEKDAY:  # 日 and 天 are never numerals (C)
            if len(tok[1]) > 1:  # 周二十点: the weekday is 二, 十点 is the time
                rest = tok[1][1:]
                self.t[j] = ("C", tok[1][0], None)
                self.t.insert(j + 1, ("C", rest, _cn_number(rest)))
                self.n += 1
            self.i = j + 1
            return _CN_WEEKDAY[tok[1][0]]
        if tok[0] in ("DAY", "DAYU") and tok[1] in _CN_WEEKDAY:
            self.i = j + 1
            return 6
        raise _Reject(f"{_text(t[j - 1 : j + 1])} is not a weekday (周一 … 周日)")

    def _set_weekday(self, weekday: int, text: str) -> None:
        if self.weekday is not None and self.weekday[0] != weekday:
            raise _Reject(f"it gives two different weekdays, {self.weekday[1]} and {text}")
        self.weekday = (weekday, text)
        self.last = "date"

    def _on_WKREL(self) -> None:
        """上周三 / 本周三: a day of last (or this) Monday-to-Sunday week."""
        start = self.i
        self.i += 1
        weekday = self._weekday_after_prefix()
        self._set("week_back", self.t[start][2], "a date")
        self._set_weekday(weekday, _text(self.t[start : self.i]))

    def _on_MARK(self) -> None:
        tok = self.t[self.i]
        self._set_marker(tok[2], tok[1])
        self.i += 1

    def _on_AMPM(self) -> None:
        tok = self.t[self.i]
        self._set_marker(tok[2], tok[1].upper())
        self.i += 1

    def _set_marker(self, kind: str, text: str) -> None:
        if self.marker is not None:
            raise _Reject(f"it gives two times of day, {self.marker[1]} and {text}")
        self.marker = (kind, text)

    def _on_RELDAY(self) -> None:
        tok = self.t[self.i]
        days, marker = tok[2]
        self._set("days_back", days, "a date")
        if marker:
            self._set_marker(marker, tok[1])
        self.i += 1
        self.last = "date"

    def _on_FUTURE(self) -> None:
        raise _Reject(f"{self.t[self.i][1]} is in the future")

    def _on_IN(self) -> None:  # "in 3 days"
        counted = self._count(self.i + 1)
        if counted and self.t[counted[1]][0] == "EUNIT":
            raise _Reject(f"{_text(self.t[self.i : counted[1] + 1])} is in the future")
        self._unreadable()

    def _on_NOW(self) -> None:
        if self.now_word:
            raise _Reject("it gives 刚刚 (now) twice")
        self.now_word = True
        self.i += 1
        self.last = "date"

    def _on_JUST(self) -> None:  # "just now"
        if self.t[self.i + 1][0] != "NOW":
            self._unreadable()
        self.i += 1

    def _on_YREL(self) -> None:
        """今年/去年/前年 + M月D日."""
        t, j = self.t, self.i + 1
        if not (t[j][0] in ("N", "C") and t[j + 1][0] == "MONTH"):
            raise _Reject(f"{t[self.i][1]} needs a month and a day")
        self.yrel = t[self.i][2]
        start, self.i = self.i, j
        self._cjk_month_day(j, None)
        self.ymd_text = _text(t[start : self.i])

    def _on_ERA(self) -> None:
        """民國114年 (year + 1911), and the Japanese eras 令和/平成/昭和 (元年 = year 1)."""
        t, j = self.t, self.i + 1
        n: int | None
        if t[j][0] == "YUAN":
            n = 1
        else:
            n = _small(t[j], 3) if t[j][0] == "N" else t[j][2] if t[j][0] == "C" else None
        if n is None or t[j + 1][0] != "YEAR":
            raise _Reject(f"cannot read the year after {t[self.i][1]}")
        if n < 1:
            raise _Reject(f"there is no year {t[j][1]} of {t[self.i][1]}")
        self._cjk_after_year(t[self.i][2] + n, j + 2)

    def _on_LABEL(self) -> None:
        if self.last:
            self._unreadable()
        self.i += 1 + (self.t[self.i + 1][0] == ":")

    def _on_T(self) -> None:  # ISO's date-time separator
        if self.last != "date" or self.t[self.i + 1][0] != "N":
            self._unreadable()
        self.i += 1

    _on_colon = _on_T  # "发布于:" and Apache's 24/Aug/2025:10:00:00

    def _on_stop(self) -> None:  # a full stop closing the sentence
        if self.i != self.n - 1:
            self._unreadable()
        self.i += 1

    # -- zones -----------------------------------------------------------------------

    # Ranks: a numeric offset written out beats a zone name, which beats a zone in
    # parentheses, which beats an abbreviation (rule 3: '+0800 CST' -> +08:00).
    _STRONG, _NAMED, _PAREN = 3, 2, 1

    def _offset(self, j: int) -> tuple[int, int] | None:
        """+HH:MM, +HHMM, +HH, +H at j -> (minutes, next index)."""
        t = self.t
        sign, tok = t[j][0], t[j + 1]
        if sign not in ("+", "-") or tok[0] != "N":
            return None
        if len(tok[1]) <= 2:
            hours, minutes, end = tok[2], 0, j + 2
            if t[end][0] == ":" and t[end + 1][0] == "N":
                if len(t[end + 1][1]) != 2:
                    raise _Reject(f"{_text(t[j : end + 2])} is not a valid UTC offset")
                minutes, end = t[end + 1][2], end + 2
        elif len(tok[1]) == 4:
            hours, minutes, end = tok[2] // 100, tok[2] % 100, j + 2
        else:
            raise _Reject(f"{_text(t[j : j + 2])} is not a valid UTC offset")
        if minutes > 59 or hours > 23:
            raise _Reject(f"{_text(t[j:end])} is not a valid UTC offset")
        total = hours * 60 + minutes
        return (-total if sign == "-" else total), end

    def _on_sign(self) -> None:
        if self.t[self.i][2]:
            raise _Reject("it looks like a range of times or dates; give one date")
        found = self._offset(self.i)
        if found is None:
            self._unreadable()
        self.zones.append((self._STRONG, found[0], _text(self.t[self.i : found[1]])))
        self.i = found[1]

    def _on_UTCN(self) -> None:
        """UTC, GMT, UTC+8, GMT+0800, UTC-4: the ISO sense, not POSIX's inverted one."""
        found = self._offset(self.i + 1)
        if found is None:
            self.zones.append((self._NAMED, 0, self.t[self.i][1]))
            self.i += 1
        else:
            self.zones.append((self._STRONG, found[0], _text(self.t[self.i : found[1]])))
            self.i = found[1]

    def _on_Z(self) -> None:
        self.zones.append((self._NAMED, 0, "Z"))
        self.i += 1

    def _on_ZONE(self) -> None:
        tok = self.t[self.i]
        self.zones.append((self._NAMED, tok[2], tok[1]))
        self.i += 1

    _on_ZONED = _on_ZONE

    def _on_ABBR(self) -> None:
        if self.abbr is not None and self.abbr != self.t[self.i][2]:
            self._unreadable()
        self.abbr = self.t[self.i][2]
        self.i += 1

    def _on_BR(self) -> None:
        """[Asia/Shanghai] after a time (RFC 9557)."""
        name = self.t[self.i][2]
        try:
            self.bracket = ZoneInfo(name) if name else None
        except (ZoneInfoNotFoundError, ValueError, OSError):
            self.bracket = None
        if self.bracket is None:
            raise _Reject(f"unknown time zone {name!r}")
        self.i += 1

    def _on_paren(self) -> None:
        """(周日), (Sun), (日), (UTC+8), (北京时间) count; a zone description such as
        (中国标准时间) or (CST) is ignored."""
        t, start = self.t, self.i
        end = start + 1
        while end < self.n and t[end][0] not in (")", "("):
            end += 1
        if t[end][0] != ")":
            raise _Reject("a parenthesis is not closed")
        inner = t[start + 1 : end]
        self.i = end + 1
        if len(inner) == 1 and inner[0][1] in _JA_WEEKDAY:  # Japanese: 2025年8月24日(日)
            self._set_weekday(_JA_WEEKDAY[inner[0][1]], inner[0][1])
            return
        if inner and inner[0][0] in ("WD", "WDP", "UTCN", "Z", "ZONE", "+", "-"):
            sub = _Grammar(inner).read()
            parts = (sub.ymd, sub.year, sub.clock, sub.marker, sub.days_back, sub.ago)
            if all(part is None for part in parts) and not (sub.weekday and sub.zones):
                if sub.weekday is not None:
                    self._set_weekday(*sub.weekday)
                self.zones.extend((self._PAREN, z[1], z[2]) for z in sub.zones)
                return
        if any(tok[0] in ("N", "C") for tok in inner):
            raise _Reject(f"cannot read {_text(t[start : end + 1])!r}")
        # Anything else is a description of the zone (中国标准时间, China Standard Time).

    # -- putting the parts together --------------------------------------------------

    def _zone(self) -> tuple[int, str] | None:
        """The input's own offset in minutes, if it has one."""
        if not self.zones:
            return None
        rank = max(z[0] for z in self.zones)
        chosen = [z for z in self.zones if z[0] == rank]
        if any(z[1] != chosen[0][1] for z in chosen):
            raise _Reject(
                f"it gives two different time zones, {chosen[0][2]} and "
                f"{next(z[2] for z in chosen if z[1] != chosen[0][1])}"
            )
        return chosen[0][1], chosen[0][2]

    def build(self, site: tzinfo, now: datetime | None, absolute: bool = False) -> datetime:
        zone = self._zone()
        reading = _fixed(zone[0]) if zone else (self.bracket or site)

        def local_now() -> datetime:
            if absolute:  # only called when the answer depends on today's date
                raise _Reject(
                    "it has no year or is relative to today, so its meaning changes "
                    "over time; write the full date, e.g. 2025-08-24"
                )
            if now is None:
                return datetime.now(reading)
            return (now if now.tzinfo else now.replace(tzinfo=site)).astimezone(reading)

        if self.now_word or (self.ago and self.ago[0] in _INSTANT_UNITS):
            return self._instant(local_now())

        clock = self._hour24(self.clock) if self.clock else None
        day, wall_time = self._day(local_now)
        if clock is None:
            clock = wall_time or (0, 0, 0, 0)
        wall = datetime(day.year, day.month, day.day, *clock)
        if zone:
            return wall.replace(tzinfo=reading)
        if self.abbr:
            return self._abbreviated(wall, reading)
        return _localize(wall, reading)

    def _instant(self, now: datetime) -> datetime:
        """刚刚 and N秒/分钟/小时前: an absolute duration before now (also across DST)."""
        others = (
            self.ymd,
            self.clock,
            self.weekday,
            self.year,
            self.days_back,
            self.week_back,
            self.marker,
            self.ago if self.now_word else None,
        )
        if any(part is not None for part in others):
            raise _Reject("a relative time such as 刚刚 or 3小时前 cannot be combined with a date")
        if self.now_word:
            return now
        assert self.ago is not None  # build comes here only for 刚刚 or an instant 'ago'
        unit, count, _ = self.ago
        moment = now.astimezone(UTC) - timedelta(**{_INSTANT_UNITS[unit]: count})
        return moment.astimezone(now.tzinfo)

    def _day(self, local_now) -> tuple[date, tuple[int, int, int, int] | None]:
        """The calendar date, plus now's wall time for 'N天前' without a clock time."""
        sources = [s for s in (self.ymd, self.days_back, self.ago, self.week_back) if s is not None]
        if len(sources) > 1:
            raise _Reject("it gives two dates")
        if self.year is not None and self.ymd is None:
            raise _Reject("a year alone is not a date: the month and day are missing")
        wall_time = None
        if self.ymd is not None:
            day = self._calendar_day(self.ymd, local_now)
        elif self.days_back is not None:
            day = local_now().date() - timedelta(days=self.days_back)
        elif self.ago is not None:
            unit, count, phrase = self.ago
            now = local_now()
            count = int(count)
            try:
                if unit in ("d", "w"):
                    day = now.date() - timedelta(days=count * (7 if unit == "w" else 1))
                else:  # calendar months and years; dateutil is imported only here (a rare phrase)
                    from dateutil.relativedelta import relativedelta

                    day = now.date() - (
                        relativedelta(months=count) if unit == "mo" else relativedelta(years=count)
                    )
            except (OverflowError, ValueError):
                raise _Reject(f"{phrase} is too far back") from None
            wall_time = (now.hour, now.minute, now.second, now.microsecond)
        elif self.week_back is not None:
            assert self.weekday is not None  # _on_WKREL sets both
            today = local_now().date()
            day = (
                today
                - timedelta(days=today.weekday())
                + timedelta(days=7 * self.week_back + self.weekday[0])
            )
            if day > today:
                raise _Reject(f"{self.weekday[1]} is in the future")
            return day, None
        elif self.weekday is not None:
            today = local_now().date()
            return today - timedelta(days=(today.weekday() - self.weekday[0] - 1) % 7 + 1), None
        elif self.clock is not None:
            return local_now().date(), None
        else:
            raise _Reject("no date found")
        if self.weekday is not None and day.weekday() != self.weekday[0]:
            raise _Reject(
                f"{self.weekday[1]} does not match {day.isoformat()}, a {_DAY_NAMES[day.weekday()]}"
            )
        return day, wall_time

    def _calendar_day(self, ymd: tuple[int | None, int, int], local_now) -> date:
        year, month, day = ymd
        if year is None and self.year is not None:
            year = self.year
        elif self.year is not None:
            raise _Reject("it gives the year twice")
        if year is None and self.yrel is not None:
            year = local_now().year - self.yrel
        _check_day(year, month, day)
        if year is not None:
            if not 1 <= year <= 9999:
                raise _Reject(f"year {year} is out of range")
            return date(year, month, day)
        # Rule 4: the most recent year in which the month-day exists, on or before today.
        today = local_now().date()
        for year in range(today.year, max(today.year - 9, 0), -1):
            if day <= _month_length(year, month) and (year, month, day) <= (
                today.year,
                today.month,
                today.day,
            ):
                return date(year, month, day)
        raise _Reject(f"{self.ymd_text} has no recent year to fall in")

    def _hour24(self, clock: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        """Apply 上午/下午/中午/晚上/凌晨/AM/PM to the clock's hour (DATES.md rule 8)."""
        hour, rest = clock[0], clock[1:]
        if self.marker is None:
            if hour == 24:
                raise _Reject("24:00 is ambiguous: write 00:00 of the next day")
            if hour > 23:
                raise _Reject(f"hour {hour} does not exist in {self.clock_text} (hours run 0-23)")
            return (hour, *rest)
        kind, word = self.marker
        said = f"{word} {self.clock_text}"
        if kind == "am":
            if hour <= 12:
                return (0 if hour == 12 else hour, *rest)
            raise _Reject(f"{said}: {word} is morning, but hour {hour} is not")
        if kind == "noon":
            if hour in (11, 12, 13, 14):
                return (hour, *rest)
            if hour in (1, 2):
                return (hour + 12, *rest)
            raise _Reject(f"{said}: {word} (noon) cannot be hour {hour}")
        if kind == "eve" and (hour == 12 or 0 < hour <= 5):
            raise _Reject(
                f"{said} is ambiguous (midnight or early morning?): "
                f"write a 24-hour time such as 00:30"
            )
        if 1 <= hour <= 11:
            return (hour + 12, *rest)
        if 12 <= hour <= 23:
            return (hour, *rest)
        raise _Reject(f"{said}: {word} cannot be hour {hour}")

    def _abbreviated(self, wall: datetime, site: tzinfo) -> datetime:
        """A zone abbreviation without an offset counts only if the site zone uses it,
        or if the date is in RFC 822's layout, which defines the US zones it names.

        CST is China, Cuba or US Central; PST Pacific or Philippine.  So 'CST' is read as
        +08:00 for an Asia/Shanghai site and refused in '2025-08-24 10:00 CST' for a
        Los Angeles one, but 'Sun, 24 Aug 2025 10:00:00 CST' there is RFC 822's -06:00.
        """
        for fold in (0, 1):
            dt = wall.replace(tzinfo=site, fold=fold)
            if dt.tzname() == self.abbr:
                return _localize(wall, site) if fold == 0 else dt
        for days in (-183, -92, 92, 183):  # the zone's other season (PST in August)
            try:
                dt = (wall + timedelta(days=days)).replace(tzinfo=site)
            except OverflowError:
                continue
            if dt.tzname() == self.abbr and (offset := dt.utcoffset()) is not None:
                return wall.replace(tzinfo=_fixed(offset // timedelta(minutes=1)))
        if self.rfc822 and self.abbr in _RFC822_ZONES:
            return wall.replace(tzinfo=_fixed(_RFC822_ZONES[self.abbr]))
        raise _Reject(
            f"the zone abbreviation {self.abbr} is ambiguous here: "
            f"write a numeric offset such as +08:00"
        )


def _month_length(year: int, month: int) -> int:
    if month == 2 and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        return 28
    return _DAYS_IN_MONTH[month - 1]


def _check_month(month: int) -> None:
    if not 1 <= month <= 12:
        raise _Reject(f"there is no month {month}")


def _check_day(year: int | None, month: int, day: int) -> None:
    _check_month(month)
    if day < 1:
        raise _Reject("there is no day 0")
    if day > 31:
        raise _Reject(f"no month has {day} days")
    name = _MONTH_NAMES[month - 1]
    if year is None:
        if day > _DAYS_IN_MONTH[month - 1]:
            most = "at most 29" if month == 2 else str(_DAYS_IN_MONTH[month - 1])
            raise _Reject(f"{name} has {most} days")
    elif day > _month_length(year, month):
        raise _Reject(f"{name} {year} has {_month_length(year, month)} days")


# --------------------------------------------------------------------------- public API

# The seed's form, Hugo's zh list page date `八月 24, 2025`, skips the tokenizer.
_HUGO_ZH = re.compile(r"(十[一二]?|[一二三四五六七八九])月 ([0-9]{1,2}), ([0-9]{4})")
_HUGO_MONTHS = {**_CN_DIGITS, "十": 10, "十一": 11, "十二": 12}  # as `_HUGO_ZH` matches them


def parse_date(
    text: str,
    *,
    tz: str | tzinfo = "Asia/Shanghai",
    now: datetime | None = None,
    absolute: bool = False,
) -> datetime:
    """Read a date as blogs write it and return an aware datetime (DATES.md).

    >>> parse_date("2025年8月24日 下午3:04", tz="Asia/Shanghai").isoformat()
    '2025-08-24T15:04:00+08:00'

    ``tz`` is the site's IANA zone name (or a tzinfo); ``now`` (aware; naive means in
    ``tz``; default: the current time) anchors relative phrases and dates without a year.
    With ``absolute=True`` those are refused instead (a post's date must not change
    meaning as time passes).
    The result carries the input's own offset when it has one, else the site zone.

    Decisions where DATES.md is silent:

    - A wall time skipped by a DST change is moved forward by the gap, as zoneinfo's
      fold=0 reading does: 02:30 on Los Angeles' spring-forward night is 03:30 PDT.
    - A zone abbreviation without a numeric offset (CST, PST, JST) is accepted only if
      the site zone uses it (CST on an Asia/Shanghai site) or, for RFC 822's US zones,
      in RFC 822's layout ('Sun, 24 Aug 2025 10:00:00 EDT'); otherwise it is refused as
      ambiguous.  UTC, GMT, UT and Z are always accepted.  A numeric offset beats any
      zone name next to it; offsets must be under 24 hours.
    - In parentheses, a weekday is checked, and the zones of rule 3 (UTC, GMT, offsets,
      北京时间) count when no zone stands outside them; any other text there is a zone
      description and ignored: (中国标准时间), (CST), (China Standard Time).
    - A clock time alone, 今天 and 星期X use the date of ``now`` in the zone the text is
      read in: its own zone if it names one, else ``tz``.
    - Month-day with '-', '/' or '.' (08-24, 8/24, 8.24) is month first; 24/08/2025 is refused.
    - Also read: N个月前 / N年前 (calendar months and years back, like N天前), 上周X and
      本周X (Monday-to-Sunday weeks), 今年/去年/前年 + month-day, English '3 hours ago',
      'yesterday', Japanese eras (令和7年) and weekdays ((日)), ISO basic 20250824T150405,
      RFC 9557's [Asia/Shanghai], and labels in front such as 发布于 / Posted on.
    - 晚上12点 and 晚上1-5点 are refused as ambiguous, as are 24:00 and two-digit years.
      A time-of-day word without a clock (2025年8月24日 下午, 昨晚) leaves the date at 00:00.

    A ``text`` that is not a str, or a ``tz`` that is neither a str nor a tzinfo, is a
    programming error and raises TypeError.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_date() needs a str, not {type(text).__name__}")
    site = _site_zone(tz, text)
    moment = _fast_path(text, site)
    if moment is None:
        moment = _parse_general(text, site, now, absolute)
    if moment.year in (
        1,
        9999,
    ):  # only there can UTC or the site zone fall outside datetime's years
        try:
            moment.astimezone(UTC), moment.astimezone(site)
        except OverflowError:
            raise DateError(
                text,
                "this date is out of the range a computer calendar can hold "
                "(in UTC or in the site's zone)",
            ) from None
    return moment


# 2025/08/24 15:04 (Hexo's and WordPress's exports) and 2025年8月24日 下午3:04 (Chinese CMSs).
_HMS = r"(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2}))?"
_SLASH = re.compile(
    r"(?P<year>[0-9]{4})/(?P<month>[0-9]{1,2})/(?P<day>[0-9]{1,2})(?P<half>)(?: " + _HMS + ")?"
)
_ZH_FULL = re.compile(
    r"(?P<year>[0-9]{4})年(?P<month>[0-9]{1,2})月(?P<day>[0-9]{1,2})日(?: (?P<half>上午|下午)"
    + _HMS
    + ")?"
)
# Hours 00-23 only: the grammar refuses 24:00, which newer Pythons' fromisoformat accepts.
_ISO = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ](?:[01][0-9]|2[0-3]):[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})?)?"
)


@functools.lru_cache(
    maxsize=4096
)  # posts of one day repeat its date text (half of a large blog's posts)
def _fast_path(text: str, site: tzinfo) -> datetime | None:
    """The forms most posts use, read directly; None for anything else, including
    anything invalid (the grammar then explains what is wrong). Tests prove it agrees
    with the grammar."""
    m = _HUGO_ZH.fullmatch(text)
    if m:
        year, month, day = int(m[3]), _HUGO_MONTHS[m[1]], int(m[2])
        if year and 1 <= day <= _month_length(year, month):
            return _localize(datetime(year, month, day), site)
        return None
    m = _SLASH.fullmatch(text) or _ZH_FULL.fullmatch(text)
    if m:
        year, month, day, hour = int(m["year"]), int(m["month"]), int(m["day"]), int(m["hour"] or 0)
        minute, second = int(m["minute"] or 0), int(m["second"] or 0)
        if m["half"]:  # 上午1-11 and 下午1-11 only: the grammar decides 12, 0 and 13+
            if not 1 <= hour <= 11:
                return None
            hour += 12 if m["half"] == "下午" else 0
        if not (
            year
            and 1 <= month <= 12
            and 1 <= day <= _month_length(year, month)
            and hour <= 23
            and minute <= 59
            and second <= 59
        ):
            return None
        return _localize(datetime(year, month, day, hour, minute, second), site)
    if _ISO.fullmatch(text):
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else _localize(parsed, site)
    return None


def _parse_general(text: str, site: tzinfo, now: datetime | None, absolute: bool) -> datetime:
    """The whole grammar of DATES.md."""
    try:
        cleaned = unicodedata.normalize("NFKC", text[: _MAX_LEN + 1]).translate(_CLEANUP)
        cleaned = " ".join(cleaned.split())
        if not cleaned:
            raise _Reject("the date is empty")
        if len(cleaned) > _MAX_LEN:
            raise _Reject("this is too long to be a date")
        tokens = _tokenize(cleaned)
        if not any(tok[0] in _DATE_WORDS for tok in tokens):
            raise _Reject("no date found")
        return _Grammar(tokens).read().build(site, now, absolute)
    except _Reject as e:
        raise DateError(text, str(e)) from None
    except OverflowError:
        raise DateError(
            text, "this date is out of the range a computer calendar can hold"
        ) from None


def _offset_text(offset: timedelta, colon: str) -> str:
    minutes = offset // timedelta(minutes=1)
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{colon}{minutes:02d}"


def _whole_minute_offset(dt: datetime) -> tuple[datetime, timedelta]:
    """RFC 3339 and RFC 822 offsets have no seconds: such datetimes are written in UTC."""
    offset = dt.utcoffset()
    if offset is None:
        raise ValueError(f"cannot format a naive datetime ({dt.isoformat()}): attach a zone")
    if offset % timedelta(minutes=1):
        try:
            return dt.astimezone(UTC), timedelta(0)
        except OverflowError:  # 0001-01-01 in a zone east of UTC: the offset, cut to minutes
            return dt, offset - offset % timedelta(minutes=1)
    return dt, offset


def format_rfc3339(dt: datetime) -> str:
    """Atom/JSON Feed form, in the datetime's own offset.

    >>> format_rfc3339(parse_date("八月 24, 2025"))
    '2025-08-24T00:00:00+08:00'
    """
    dt, offset = _whole_minute_offset(dt)
    text = (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
    )
    if dt.microsecond:
        text += f".{dt.microsecond:06d}".rstrip("0")
    return text + _offset_text(offset, ":")


def format_rfc822(dt: datetime) -> str:
    """RSS form with English names whatever the locale; seconds precision.

    >>> format_rfc822(parse_date("八月 24, 2025"))
    'Sun, 24 Aug 2025 00:00:00 +0800'
    """
    dt, offset = _whole_minute_offset(dt)
    return (
        f"{_DAY_NAMES[dt.weekday()][:3]}, {dt.day:02d} {_MONTH_NAMES[dt.month - 1][:3]} "
        f"{dt.year:04d} {dt.hour:02d}:{dt.minute:02d}:{dt.second:02d} "
        f"{_offset_text(offset, '')}"
    )
