"""feedtool.dates: one test table per DATES.md rule, the decisions it leaves open, and properties.

Expected values are written by hand as RFC 3339 strings, so each check covers the instant
and the offset: the input's own offset when it has one, else the site zone's.
"""

from __future__ import annotations

import pickle
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedtool import dates
from feedtool.dates import DateError, format_rfc822, format_rfc3339, parse_date

SH, TP, HK, TYO = "Asia/Shanghai", "Asia/Taipei", "Asia/Hong_Kong", "Asia/Tokyo"
UTC, LON, LA = "UTC", "Europe/London", "America/Los_Angeles"
ZONES = (SH, TP, HK, TYO, UTC, LON, LA)

# Wednesday 2025-08-27 10:30:15 in Shanghai = 02:30:15 UTC = Tuesday 19:30:15 in Los Angeles.
NOW = datetime(2025, 8, 27, 2, 30, 15, tzinfo=ZoneInfo(UTC))


def rfc(text: str, tz: str | tzinfo = SH, now: datetime = NOW) -> str:
    return format_rfc3339(parse_date(text, tz=tz, now=now))


def refused(text: str, tz: str = SH, now: datetime = NOW) -> str:
    with pytest.raises(DateError) as info:
        parse_date(text, tz=tz, now=now)
    return str(info.value)


def case(*rows):
    """Rows of (text, tz, expected): readable ids in pytest's output."""
    return pytest.mark.parametrize("text,tz,expected", rows, ids=[f"{r[0]}@{r[1]}" for r in rows])


def error_case(*rows):
    return pytest.mark.parametrize("text,tz,reason", rows, ids=[f"{r[0]}@{r[1]}" for r in rows])


# ---------------------------------------------------------------- rule 1: date only


@case(
    ("八月 24, 2025", SH, "2025-08-24T00:00:00+08:00"),
    ("八月 24, 2025", TP, "2025-08-24T00:00:00+08:00"),
    ("八月 24, 2025", HK, "2025-08-24T00:00:00+08:00"),
    ("八月 24, 2025", TYO, "2025-08-24T00:00:00+09:00"),
    ("八月 24, 2025", UTC, "2025-08-24T00:00:00+00:00"),
    ("八月 24, 2025", LON, "2025-08-24T00:00:00+01:00"),
    ("八月 24, 2025", LA, "2025-08-24T00:00:00-07:00"),
    ("一月 15, 2025", LON, "2025-01-15T00:00:00+00:00"),
    ("一月 15, 2025", LA, "2025-01-15T00:00:00-08:00"),
    ("2025年8月24日", TYO, "2025-08-24T00:00:00+09:00"),
    ("2025-08-24", LA, "2025-08-24T00:00:00-07:00"),
    ("Aug 24, 2025", UTC, "2025-08-24T00:00:00+00:00"),
    ("24 Aug 2025", LON, "2025-08-24T00:00:00+01:00"),
)
def test_rule1_date_only_is_midnight_in_the_site_zone(text, tz, expected):
    assert rfc(text, tz) == expected


# ---------------------------------------------------------------- rule 2: wall times, DST


@case(
    ("2025-08-24 15:04", LA, "2025-08-24T15:04:00-07:00"),
    ("2025-01-15 15:04", LA, "2025-01-15T15:04:00-08:00"),
    ("2025-08-24 15:04", LON, "2025-08-24T15:04:00+01:00"),
    ("2025-01-15 15:04", LON, "2025-01-15T15:04:00+00:00"),
    ("2025年8月24日 15:04", TP, "2025-08-24T15:04:00+08:00"),
    ("2025年8月24日 15:04", TYO, "2025-08-24T15:04:00+09:00"),
    # Historical rules: Shanghai's DST 1986-1991, Taipei 1979, Hong Kong 1979, Tokyo 1950,
    # and British Standard Time (+01:00 all year) 1968-1971.
    ("1988-07-01 12:00", SH, "1988-07-01T12:00:00+09:00"),
    ("1992-07-01 12:00", SH, "1992-07-01T12:00:00+08:00"),
    ("1979-08-01 12:00", TP, "1979-08-01T12:00:00+09:00"),
    ("1979-07-01 12:00", HK, "1979-07-01T12:00:00+09:00"),
    ("1950-07-01 12:00", TYO, "1950-07-01T12:00:00+10:00"),
    ("1970-01-15 12:00", LON, "1970-01-15T12:00:00+01:00"),
    # Repeated wall times (fall back): the first occurrence, fold=0.
    ("1986-09-14 01:30", SH, "1986-09-14T01:30:00+09:00"),
    ("2025-11-02 01:30", LA, "2025-11-02T01:30:00-07:00"),
    ("2025-10-26 01:30", LON, "2025-10-26T01:30:00+01:00"),
    # Skipped wall times (spring forward) move forward by the gap (documented decision).
    ("1986-05-04 02:30", SH, "1986-05-04T03:30:00+09:00"),
    ("2025-03-09 02:30", LA, "2025-03-09T03:30:00-07:00"),
    ("2025-03-30 01:30", LON, "2025-03-30T02:30:00+01:00"),
    ("1940-06-01", SH, "1940-06-01T01:00:00+09:00"),  # Shanghai skipped that midnight
    ("2025-03-09 01:59", LA, "2025-03-09T01:59:00-08:00"),
    ("2025-03-09 03:00", LA, "2025-03-09T03:00:00-07:00"),
)
def test_rule2_wall_time_uses_the_site_zone_and_its_history(text, tz, expected):
    assert rfc(text, tz) == expected


def test_rule2_repeated_and_skipped_results_are_zoneinfo_aware():
    fold = parse_date("2025-11-02 01:30", tz=LA)
    assert fold.tzinfo is ZoneInfo(LA) and fold.fold == 0
    gap = parse_date("2025-03-09 02:30", tz=LA)
    assert (gap.hour, gap.minute) == (3, 30) and gap.tzname() == "PDT"


# ---------------------------------------------------------------- rule 3: explicit zones


@case(
    ("2025-08-24T10:00:00Z", LA, "2025-08-24T10:00:00+00:00"),
    ("2025-08-24t10:00:00z", SH, "2025-08-24T10:00:00+00:00"),
    ("2025-08-24T10:00:00+08:00", LA, "2025-08-24T10:00:00+08:00"),
    ("2025-08-24T10:00:00.123+08:00", LA, "2025-08-24T10:00:00.123+08:00"),
    ("2025-08-24 10:00 +0800", UTC, "2025-08-24T10:00:00+08:00"),
    ("2025-08-24 10:00 +08", UTC, "2025-08-24T10:00:00+08:00"),
    ("2025-08-24 10:00 -0430", SH, "2025-08-24T10:00:00-04:30"),
    ("2025-08-24 10:00:00-07:00", SH, "2025-08-24T10:00:00-07:00"),
    ("2025-08-24 10:00 UTC", SH, "2025-08-24T10:00:00+00:00"),
    ("2025-08-24 10:00 GMT", TYO, "2025-08-24T10:00:00+00:00"),
    ("2025-08-24 10:00 UTC+8", LA, "2025-08-24T10:00:00+08:00"),
    ("2025-08-24 10:00 UTC-4", SH, "2025-08-24T10:00:00-04:00"),
    ("2025-08-24 10:00 UTC+05:30", SH, "2025-08-24T10:00:00+05:30"),
    ("2025-08-24 10:00 UTC+8:00", LA, "2025-08-24T10:00:00+08:00"),
    ("2025-08-24 10:00 GMT+8", LON, "2025-08-24T10:00:00+08:00"),
    ("2025-08-24 10:00 GMT+0800", LON, "2025-08-24T10:00:00+08:00"),
    ("2025-08-24 10:00 GMT-0700", SH, "2025-08-24T10:00:00-07:00"),
    ("UTC+8 2025-08-24 10:00", LA, "2025-08-24T10:00:00+08:00"),
    ("北京时间 2025年8月24日 15:04", LA, "2025-08-24T15:04:00+08:00"),
    ("北京時間 2025年8月24日 15:04", TYO, "2025-08-24T15:04:00+08:00"),
    ("香港時間 2025年8月24日 15:04", TYO, "2025-08-24T15:04:00+08:00"),
    ("2025年8月24日 15:04 北京时间", UTC, "2025-08-24T15:04:00+08:00"),
    # A numeric offset followed by an abbreviation or a repeated offset: the number rules.
    ("2025-08-24 15:04:05 +0800 CST", LA, "2025-08-24T15:04:05+08:00"),
    ("2025-08-24 10:00:00 +0000 UTC", SH, "2025-08-24T10:00:00+00:00"),
    ("2025-08-24 15:04:05 +0800 +0800", LA, "2025-08-24T15:04:05+08:00"),
    ("2025-08-24 15:04:05 -0700 MST", SH, "2025-08-24T15:04:05-07:00"),
    # A parenthesised zone description is ignored.
    ("2025-08-24 15:04 (中国标准时间)", SH, "2025-08-24T15:04:00+08:00"),
    ("2025-08-24 15:04 (中国标准时间)", TYO, "2025-08-24T15:04:00+09:00"),
    ("2025-08-24 15:04 (中国标准时间)", LA, "2025-08-24T15:04:00-07:00"),
    ("Sun Aug 24 2025 15:04:05 GMT+0800 (中国标准时间)", UTC, "2025-08-24T15:04:05+08:00"),
    ("Sun Aug 24 2025 15:04:05 GMT+0800 (China Standard Time)", LA, "2025-08-24T15:04:05+08:00"),
    ("Sun, 24 Aug 2025 10:00:00 +0800", LA, "2025-08-24T10:00:00+08:00"),
    ("Sun, 24 Aug 2025 10:00:00 GMT", SH, "2025-08-24T10:00:00+00:00"),
    ("Sun, 24 Aug 2025 10:00:00 -0000", SH, "2025-08-24T10:00:00+00:00"),
    ("2025-08-24 10:00 UTC+0", SH, "2025-08-24T10:00:00+00:00"),
    ("2025-08-24 10:00 +00:00", LA, "2025-08-24T10:00:00+00:00"),
    ("2025-08-24 10:00 +14:00", UTC, "2025-08-24T10:00:00+14:00"),
)
def test_rule3_an_explicit_zone_beats_tz(text, tz, expected):
    assert rfc(text, tz) == expected


def test_rule3_result_keeps_the_inputs_own_offset():
    got = parse_date("2025-08-24 10:00 UTC+8", tz=LA)
    assert got.utcoffset() == timedelta(hours=8)
    assert isinstance(got.tzinfo, timezone)


@error_case(
    ("2025-08-24 10:00 +25:00", SH, "+25:00 is not a valid UTC offset"),
    ("2025-08-24 10:00 +24:00", SH, "not a valid UTC offset"),
    ("2025-08-24 10:00 +08:60", SH, "not a valid UTC offset"),
    ("2025-08-24 10:00 UTC+25", SH, "not a valid UTC offset"),
    ("2025-08-24 10:00 +080", SH, "not a valid UTC offset"),
    ("2025-08-24 10:00 +0800 +0900", SH, "two different time zones"),
    ("北京时间 2025-08-24 10:00 UTC", SH, "two different time zones"),
)
def test_rule3_invalid_or_conflicting_offsets_are_refused(text, tz, reason):
    assert reason in refused(text, tz)


# ---------------------------------------------------------------- rule 4: missing year


@case(
    ("8月24日", SH, "2025-08-24T00:00:00+08:00"),
    ("8月27日", SH, "2025-08-27T00:00:00+08:00"),  # today: this year
    ("8月28日", SH, "2024-08-28T00:00:00+08:00"),  # tomorrow: last year
    ("2月29日", SH, "2024-02-29T00:00:00+08:00"),  # the last leap year
    ("12月31日", SH, "2024-12-31T00:00:00+08:00"),
    ("1月1日", SH, "2025-01-01T00:00:00+08:00"),
    ("08-24", SH, "2025-08-24T00:00:00+08:00"),
    ("08-28", SH, "2024-08-28T00:00:00+08:00"),
    ("8/24", SH, "2025-08-24T00:00:00+08:00"),
    ("八月 24", SH, "2025-08-24T00:00:00+08:00"),
    ("八月 28", SH, "2024-08-28T00:00:00+08:00"),
    ("Aug 24", LON, "2025-08-24T00:00:00+01:00"),
    ("Aug 28", LON, "2024-08-28T00:00:00+01:00"),
    ("August 27", TYO, "2025-08-27T00:00:00+09:00"),
    # In Los Angeles it is still Tuesday the 26th: the 27th is a year ago there.
    ("8月27日", LA, "2024-08-27T00:00:00-07:00"),
    ("8月26日 15:04", LA, "2025-08-26T15:04:00-07:00"),
    ("08-24 10:00", TP, "2025-08-24T10:00:00+08:00"),
    ("8月24日 周日", SH, "2025-08-24T00:00:00+08:00"),
)
def test_rule4_missing_year_is_the_most_recent_past_one(text, tz, expected):
    assert rfc(text, tz) == expected


@pytest.mark.parametrize(
    "now,expected",
    [
        (datetime(2025, 2, 28, 12, tzinfo=ZoneInfo(SH)), "2024-02-29T00:00:00+08:00"),
        (datetime(2024, 2, 28, 12, tzinfo=ZoneInfo(SH)), "2020-02-29T00:00:00+08:00"),
        (datetime(2024, 2, 29, 0, 0, tzinfo=ZoneInfo(SH)), "2024-02-29T00:00:00+08:00"),
        (datetime(2100, 3, 1, 12, tzinfo=ZoneInfo(SH)), "2096-02-29T00:00:00+08:00"),
    ],
)
def test_rule4_february_29(now, expected):
    assert rfc("2月29日", SH, now) == expected


def test_rule4_uses_the_calendar_date_in_tz_not_utc():
    now = datetime(2025, 12, 31, 16, 30, tzinfo=ZoneInfo(UTC))  # 2026-01-01 00:30 in Shanghai
    assert rfc("1月1日", SH, now) == "2026-01-01T00:00:00+08:00"
    assert rfc("1月1日", LA, now) == "2025-01-01T00:00:00-08:00"
    assert rfc("12月31日", LA, now) == "2025-12-31T00:00:00-08:00"


# ---------------------------------------------------------------- rule 5: numeric dates


@case(
    ("2025-08-24", SH, "2025-08-24T00:00:00+08:00"),
    ("2025/08/24", SH, "2025-08-24T00:00:00+08:00"),
    ("2025.08.24", SH, "2025-08-24T00:00:00+08:00"),
    ("2025-8-4", SH, "2025-08-04T00:00:00+08:00"),
    ("2025/8/4", SH, "2025-08-04T00:00:00+08:00"),
    ("2025.8.4", SH, "2025-08-04T00:00:00+08:00"),
    ("2025/8/24 10:00", SH, "2025-08-24T10:00:00+08:00"),
    ("2025-08-24 10:00", HK, "2025-08-24T10:00:00+08:00"),
    ("2025.08.24 10:00:59", TYO, "2025-08-24T10:00:59+09:00"),
    ("20250824", SH, "2025-08-24T00:00:00+08:00"),
    ("20250824T150405Z", SH, "2025-08-24T15:04:05+00:00"),
)
def test_rule5_year_first_numeric_dates(text, tz, expected):
    assert rfc(text, tz) == expected


@pytest.mark.parametrize(
    "text", ["24/08/2025", "08/24/2025", "24.08.2025", "25-08-24", "2025-08/24", "114/08/24"]
)
def test_rule5_other_numeric_orders_are_refused(text):
    refused(text)


# ---------------------------------------------------------------- rule 6: months, days, numerals

CN_MONTHS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"]
EN_MONTHS = [
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
]


@pytest.mark.parametrize("month", range(1, 13))
def test_rule6_chinese_month_words(month):
    expected = f"2024-{month:02d}-01T00:00:00+08:00"
    assert rfc(f"{CN_MONTHS[month - 1]}月 1, 2024") == expected
    assert rfc(f"{CN_MONTHS[month - 1]}月1日, 2024") == expected
    assert rfc(f"2024年{CN_MONTHS[month - 1]}月一日") == expected
    assert rfc(f"2024年{month}月1日") == expected


@pytest.mark.parametrize("month", range(1, 13))
def test_rule6_english_month_names(month):
    full = EN_MONTHS[month - 1]
    expected = f"2024-{month:02d}-03T00:00:00+00:00"
    assert rfc(f"{full} 3, 2024", UTC) == expected
    assert rfc(f"{full[:3]} 3, 2024", UTC) == expected
    assert rfc(f"{full[:3].upper()}. 3, 2024", UTC) == expected
    assert rfc(f"3 {full.lower()} 2024", UTC) == expected


@case(
    ("十一月 3, 2024", SH, "2024-11-03T00:00:00+08:00"),  # 十一月 is one word, not 十 + 一月
    ("十二月 1, 2024", SH, "2024-12-01T00:00:00+08:00"),
    ("2024年十一月", SH, None),
    ("Sept 3, 2024", SH, "2024-09-03T00:00:00+08:00"),
    ("Sept. 3, 2024", SH, "2024-09-03T00:00:00+08:00"),
    ("Aug 24th, 2025", SH, "2025-08-24T00:00:00+08:00"),
    ("1st Sep 2024", SH, "2024-09-01T00:00:00+08:00"),
    ("2025年八月十日", SH, "2025-08-10T00:00:00+08:00"),
    ("2025年八月二十日", SH, "2025-08-20T00:00:00+08:00"),
    ("2025年八月廿四日", SH, "2025-08-24T00:00:00+08:00"),
    ("2024年十二月卅日", SH, "2024-12-30T00:00:00+08:00"),
    ("2024年十二月卅一日", SH, "2024-12-31T00:00:00+08:00"),
    ("2024年十二月三十一日", SH, "2024-12-31T00:00:00+08:00"),
    ("2025年8月24号", SH, "2025-08-24T00:00:00+08:00"),
    ("2025年8月24號", TP, "2025-08-24T00:00:00+08:00"),
    ("2025年8月24", SH, "2025-08-24T00:00:00+08:00"),
    ("8月二十四号", SH, "2025-08-24T00:00:00+08:00"),
    ("二〇二五年八月廿四日", SH, "2025-08-24T00:00:00+08:00"),
    ("二〇二五年八月二十四日", SH, "2025-08-24T00:00:00+08:00"),
    ("二零二五年八月二十四日", SH, "2025-08-24T00:00:00+08:00"),
    ("二\u25cb二五年八月二十四日", SH, "2025-08-24T00:00:00+08:00"),
    ("一九八八年七月一日", SH, "1988-07-01T00:00:00+09:00"),
    ("民國114年8月24日", TP, "2025-08-24T00:00:00+08:00"),
    ("民国114年8月24日", SH, "2025-08-24T00:00:00+08:00"),
    ("民國一一四年八月二十四日", TP, "2025-08-24T00:00:00+08:00"),
    ("民國一百一十四年八月二十四日", TP, "2025-08-24T00:00:00+08:00"),
    ("民國114年8月24日 下午 03:04", TP, "2025-08-24T15:04:00+08:00"),
    # Full-width forms equal their ASCII forms.
    ("２０２５／８／２４", SH, "2025-08-24T00:00:00+08:00"),
    ("２０２５－０８－２４　１５：０４", SH, "2025-08-24T15:04:00+08:00"),
    ("２０２５．０８．２４", SH, "2025-08-24T00:00:00+08:00"),
    ("八月 ２４，２０２５", SH, "2025-08-24T00:00:00+08:00"),
    ("２０２５年８月２４日（周日）", SH, "2025-08-24T00:00:00+08:00"),
    ("Ａｕｇ ２４, ２０２５", SH, "2025-08-24T00:00:00+08:00"),
    # Whitespace may appear, repeat, or be absent between tokens.
    ("2025年\u00a08月\u202f24日", SH, "2025-08-24T00:00:00+08:00"),
    ("八月\u300024,\u30002025", SH, "2025-08-24T00:00:00+08:00"),
    ("八月24,2025", SH, "2025-08-24T00:00:00+08:00"),
    ("八月   24 ,   2025", SH, "2025-08-24T00:00:00+08:00"),
    ("2025 年 8 月 24 日", SH, "2025-08-24T00:00:00+08:00"),
    ("  2025-08-24  ", SH, "2025-08-24T00:00:00+08:00"),
    ("2025-08-24\u3000\u300015:04", SH, "2025-08-24T15:04:00+08:00"),
    ("2025年8月24日下午3:04", SH, "2025-08-24T15:04:00+08:00"),
    ("Aug24,2025", SH, "2025-08-24T00:00:00+08:00"),
    ("2025-08-24\t15:04", SH, "2025-08-24T15:04:00+08:00"),
    ("2025年8月24日\u200b", SH, "2025-08-24T00:00:00+08:00"),
)
def test_rule6_months_days_numerals_and_widths(text, tz, expected):
    if expected is None:
        assert "day is missing" in refused(text, tz)
    else:
        assert rfc(text, tz) == expected


# ---------------------------------------------------------------- rule 7: weekdays


@case(
    ("2025年8月24日 星期日", SH, "2025-08-24T00:00:00+08:00"),
    ("2025年8月24日 星期天", SH, "2025-08-24T00:00:00+08:00"),
    ("2025年8月24日(周日)", SH, "2025-08-24T00:00:00+08:00"),
    ("2025年8月24日 週日", TP, "2025-08-24T00:00:00+08:00"),
    ("2025年8月24日 礼拜天", SH, "2025-08-24T00:00:00+08:00"),
    ("2025年08月24日 星期日 15:04:05", SH, "2025-08-24T15:04:05+08:00"),
    ("星期日, 2025-08-24", SH, "2025-08-24T00:00:00+08:00"),
    ("2025-09-01 周一", SH, "2025-09-01T00:00:00+08:00"),
    ("2025-09-01（星期一）", SH, "2025-09-01T00:00:00+08:00"),
    ("Sun, 24 Aug 2025", UTC, "2025-08-24T00:00:00+00:00"),
    ("Sunday, August 24, 2025", UTC, "2025-08-24T00:00:00+00:00"),
    ("Mon, 01 Sep 2025 08:00:00 +0000", SH, "2025-09-01T08:00:00+00:00"),
    ("2025年8月24日(日) 15:04", TYO, "2025-08-24T15:04:00+09:00"),
    ("2025-09-01 (Mon)", LA, "2025-09-01T00:00:00-07:00"),
)
def test_rule7_weekday_next_to_a_date(text, tz, expected):
    assert rfc(text, tz) == expected


@error_case(
    ("2025年8月24日 星期一", SH, "星期一 does not match 2025-08-24, a Sunday"),
    ("2025-08-24 周六", SH, "周六 does not match 2025-08-24, a Sunday"),
    ("Mon, 24 Aug 2025 10:00:00 +0800", SH, "Mon does not match 2025-08-24, a Sunday"),
    ("Saturday, August 24, 2025", UTC, "Saturday does not match 2025-08-24, a Sunday"),
    ("2025-09-01 周日", SH, "周日 does not match 2025-09-01, a Monday"),
    ("2025年8月24日(周一)", SH, "does not match"),
    ("8月24日 周一", SH, "周一 does not match 2025-08-24, a Sunday"),
    ("昨天 周日", SH, "周日 does not match 2025-08-26, a Tuesday"),
    ("周七", SH, "not a weekday"),
)
def test_rule7_weekday_that_does_not_match_is_refused(text, tz, reason):
    assert reason in refused(text, tz)


# ---------------------------------------------------------------- rule 8: clock times


@pytest.mark.parametrize(
    "clock,expected",
    [
        ("15:04", "15:04:00"),
        ("5:04", "05:04:00"),
        ("0:00", "00:00:00"),
        ("23:59:59", "23:59:59"),
        ("15:04:05.123", "15:04:05.123"),
        ("15:04:05.123456789", "15:04:05.123456"),
        ("15时", "15:00:00"),
        ("15时04分", "15:04:00"),
        ("15時04分05秒", "15:04:05"),
        ("10点30分", "10:30:00"),
        ("10點30分", "10:30:00"),
        ("3点半", "03:30:00"),
        ("3点15", "03:15:00"),
        ("十五时零四分", "15:04:00"),
        ("十点零五", "10:05:00"),
        ("三点一刻", "03:15:00"),
        ("二十三点五十九分五十九秒", "23:59:59"),
        ("零点", "00:00:00"),
        ("上午12点", "00:00:00"),
        ("上午12:30", "00:30:00"),
        ("上午0点", "00:00:00"),
        ("上午11:59", "11:59:00"),
        ("早上8点", "08:00:00"),
        ("凌晨12点", "00:00:00"),
        ("凌晨3点", "03:00:00"),
        ("淩晨3點", "03:00:00"),
        ("凌晨零点", "00:00:00"),
        ("下午12:05", "12:05:00"),
        ("下午1点", "13:00:00"),
        ("下午3:04", "15:04:00"),
        ("下午三点", "15:00:00"),
        ("下午三点半", "15:30:00"),
        ("下午15:04", "15:04:00"),
        ("傍晚6点", "18:00:00"),
        ("晚上8点", "20:00:00"),
        ("晚上11点", "23:00:00"),
        ("晚上20:30", "20:30:00"),
        ("中午12点", "12:00:00"),
        ("中午1点", "13:00:00"),
        ("中午11点半", "11:30:00"),
        ("中午2点", "14:00:00"),
        ("3:04 PM", "15:04:00"),
        ("3:04pm", "15:04:00"),
        ("12:00 AM", "00:00:00"),
        ("12:05 am", "00:05:00"),
        ("12 PM", "12:00:00"),
        ("3pm", "15:00:00"),
        ("10 a.m.", "10:00:00"),
        ("10 p.m.", "22:00:00"),
        ("PM 3:04", "15:04:00"),
        ("午後3時4分", "15:04:00"),
    ],
)
def test_rule8_clock_forms(clock, expected):
    assert rfc(f"2025-08-24 {clock}") == f"2025-08-24T{expected}+08:00"
    assert rfc(f"2025年8月24日{clock}") == f"2025-08-24T{expected}+08:00"


@case(
    ("08:30", SH, "2025-08-27T08:30:00+08:00"),  # a clock time alone: today in tz
    ("10时30分", SH, "2025-08-27T10:30:00+08:00"),
    ("下午3点", SH, "2025-08-27T15:00:00+08:00"),
    ("08:30", LA, "2025-08-26T08:30:00-07:00"),
    ("23:00", TYO, "2025-08-27T23:00:00+09:00"),  # later than now is still today
)
def test_rule8_clock_alone_is_on_todays_date_in_tz(text, tz, expected):
    assert rfc(text, tz) == expected


@error_case(
    ("2025-08-24 25:00", SH, "hour 25 does not exist"),
    ("2025-08-24 24:00", SH, "24:00 is ambiguous"),
    ("2025-08-24 10:60", SH, "minute 60 does not exist"),
    ("2025-08-24 10:00:60", SH, "second 60 does not exist"),
    ("2025-08-24 10:5", SH, "two digits"),
    ("2025年8月24日 25时", SH, "hour 25"),
    ("2025年8月24日 10时61分", SH, "minute 61"),
    ("2025-08-24 上午13点", SH, "上午 is morning"),
    ("2025-08-24 凌晨15点", SH, "凌晨 is morning"),
    ("2025-08-24 13:00 AM", SH, "AM is morning"),
    ("2025-08-24 晚上12点", SH, "ambiguous"),
    ("2025-08-24 晚上3点", SH, "ambiguous"),
    ("2025-08-24 下午0点", SH, "下午 cannot be hour 0"),
    ("2025-08-24 中午5点", SH, "noon"),
    ("2025-08-24 下午25点", SH, "cannot be hour 25"),
    ("2025-08-24 三点五刻", SH, "quarter"),
    ("2025-08-24 上午 下午3点", SH, "two times of day"),
    ("2025-08-24 10:00 11:00", SH, "clock time twice"),
)
def test_rule8_out_of_range_clocks_are_refused(text, tz, reason):
    assert reason in refused(text, tz)


# ---------------------------------------------------------------- rule 9: relative phrases


@case(
    ("刚刚", SH, "2025-08-27T10:30:15+08:00"),
    ("刚才", SH, "2025-08-27T10:30:15+08:00"),
    ("剛剛", TP, "2025-08-27T10:30:15+08:00"),
    ("刚刚", LA, "2025-08-26T19:30:15-07:00"),
    ("30秒前", SH, "2025-08-27T10:29:45+08:00"),
    ("5分钟前", SH, "2025-08-27T10:25:15+08:00"),
    ("5分鐘前", TP, "2025-08-27T10:25:15+08:00"),
    ("３分钟前", SH, "2025-08-27T10:27:15+08:00"),
    ("十五分钟前", SH, "2025-08-27T10:15:15+08:00"),
    ("二十分钟前", SH, "2025-08-27T10:10:15+08:00"),
    ("3小时前", SH, "2025-08-27T07:30:15+08:00"),
    ("3小時前", HK, "2025-08-27T07:30:15+08:00"),
    ("3个小时前", SH, "2025-08-27T07:30:15+08:00"),
    ("3個小時前", TP, "2025-08-27T07:30:15+08:00"),
    ("一小时前", SH, "2025-08-27T09:30:15+08:00"),
    ("两小时前", SH, "2025-08-27T08:30:15+08:00"),
    ("十小时前", SH, "2025-08-27T00:30:15+08:00"),
    ("半小时前", SH, "2025-08-27T10:00:15+08:00"),
    ("半个小时前", SH, "2025-08-27T10:00:15+08:00"),
    ("3小时前", LA, "2025-08-26T16:30:15-07:00"),
    ("3小时前", UTC, "2025-08-26T23:30:15+00:00"),
    ("3天前", SH, "2025-08-24T10:30:15+08:00"),
    ("三天前", SH, "2025-08-24T10:30:15+08:00"),
    ("3天前", LA, "2025-08-23T19:30:15-07:00"),
    ("1周前", SH, "2025-08-20T10:30:15+08:00"),
    ("2周前", SH, "2025-08-13T10:30:15+08:00"),
    ("一週前", TP, "2025-08-20T10:30:15+08:00"),
    ("今天", SH, "2025-08-27T00:00:00+08:00"),
    ("今天 10:30", SH, "2025-08-27T10:30:00+08:00"),
    ("昨天", SH, "2025-08-26T00:00:00+08:00"),
    ("昨天 15:04", SH, "2025-08-26T15:04:00+08:00"),
    ("昨天下午3点", SH, "2025-08-26T15:00:00+08:00"),
    ("昨天 15:04", LA, "2025-08-25T15:04:00-07:00"),
    ("前天", SH, "2025-08-25T00:00:00+08:00"),
    ("前天 08:00", TYO, "2025-08-25T08:00:00+09:00"),
    ("昨晚8点", SH, "2025-08-26T20:00:00+08:00"),
    ("昨晚8:30", SH, "2025-08-26T20:30:00+08:00"),
    ("昨天晚上8点", SH, "2025-08-26T20:00:00+08:00"),
    ("今天上午10点", SH, "2025-08-27T10:00:00+08:00"),
    # 星期X alone: the most recent such day strictly before today (Wednesday the 27th).
    ("周日", SH, "2025-08-24T00:00:00+08:00"),
    ("星期二", SH, "2025-08-26T00:00:00+08:00"),
    ("星期三", SH, "2025-08-20T00:00:00+08:00"),
    ("週四", TP, "2025-08-21T00:00:00+08:00"),
    ("礼拜一", SH, "2025-08-25T00:00:00+08:00"),
    ("周日 15:00", SH, "2025-08-24T15:00:00+08:00"),
    ("星期二 下午3点", SH, "2025-08-26T15:00:00+08:00"),
    ("周二", LA, "2025-08-19T00:00:00-07:00"),  # it is Tuesday in Los Angeles
)
def test_rule9_relative_phrases(text, tz, expected):
    assert rfc(text, tz) == expected


def test_rule9_weekday_alone_on_that_weekday_goes_back_a_week():
    sunday = datetime(2025, 8, 24, 12, tzinfo=ZoneInfo(SH))
    assert rfc("周日", SH, sunday) == "2025-08-17T00:00:00+08:00"
    assert rfc("周六", SH, sunday) == "2025-08-23T00:00:00+08:00"
    assert rfc("周一 15:00", SH, sunday) == "2025-08-18T15:00:00+08:00"


@pytest.mark.parametrize(
    "tz,now,text,expected",
    [
        # Los Angeles sprang forward on 2025-03-09: hours are absolute, days keep the wall clock.
        (LA, datetime(2025, 3, 10, 12, tzinfo=ZoneInfo(LA)), "1天前", "2025-03-09T12:00:00-07:00"),
        (LA, datetime(2025, 3, 10, 12, tzinfo=ZoneInfo(LA)), "2天前", "2025-03-08T12:00:00-08:00"),
        (
            LA,
            datetime(2025, 3, 10, 12, tzinfo=ZoneInfo(LA)),
            "48小时前",
            "2025-03-08T11:00:00-08:00",
        ),
        (
            LA,
            datetime(2025, 3, 9, 3, 30, tzinfo=ZoneInfo(LA)),
            "1小时前",
            "2025-03-09T01:30:00-08:00",
        ),
        # London fell back on 2025-10-26.
        (
            LON,
            datetime(2025, 10, 27, 12, tzinfo=ZoneInfo(LON)),
            "1天前",
            "2025-10-26T12:00:00+00:00",
        ),
        (
            LON,
            datetime(2025, 10, 27, 12, tzinfo=ZoneInfo(LON)),
            "2天前",
            "2025-10-25T12:00:00+01:00",
        ),
        (
            LON,
            datetime(2025, 10, 27, 12, tzinfo=ZoneInfo(LON)),
            "48小时前",
            "2025-10-25T13:00:00+01:00",
        ),
        # Shanghai sprang forward on 1988-04-17.
        (SH, datetime(1988, 4, 18, 12, tzinfo=ZoneInfo(SH)), "2天前", "1988-04-16T12:00:00+08:00"),
        (
            SH,
            datetime(1988, 4, 18, 12, tzinfo=ZoneInfo(SH)),
            "48小时前",
            "1988-04-16T11:00:00+08:00",
        ),
    ],
)
def test_rule9_units_across_dst(tz, now, text, expected):
    assert rfc(text, tz, now) == expected


def test_rule9_now_may_be_naive_meaning_tz():
    naive = datetime(2025, 8, 27, 10, 30, 15)
    assert rfc("3小时前", SH, naive) == "2025-08-27T07:30:15+08:00"
    assert rfc("昨天", LA, naive) == "2025-08-26T00:00:00-07:00"


def test_rule9_default_now_is_the_current_time():
    before = datetime.now(ZoneInfo(UTC)).replace(microsecond=0)
    got = parse_date("刚刚")
    assert before <= got <= datetime.now(ZoneInfo(UTC))
    assert got.tzinfo is ZoneInfo(SH)


# ---------------------------------------------------------------- rule 10: the future


@error_case(
    ("明天", SH, "明天 is in the future"),
    ("明天 10:00", SH, "明天 is in the future"),
    ("后天", SH, "后天 is in the future"),
    ("後天", TP, "後天 is in the future"),
    ("大后天", SH, "in the future"),
    ("明晚8点", SH, "in the future"),
    ("3分钟后", SH, "3分钟后 is in the future"),
    ("十分钟后", SH, "in the future"),
    ("2小时后", SH, "in the future"),
    ("3天后", SH, "3天后 is in the future"),
    ("一周后", SH, "in the future"),
    ("3天以后", SH, "in the future"),
    ("tomorrow", UTC, "in the future"),
    ("in 3 days", UTC, "in the future"),
    ("本周五", SH, "in the future"),
)
def test_rule10_future_relative_phrases_are_refused(text, tz, reason):
    assert reason in refused(text, tz)


def test_rule10_absolute_future_dates_are_kept_as_scheduled_posts():
    assert rfc("2025-12-25") == "2025-12-25T00:00:00+08:00"
    assert rfc("2030年1月1日 08:00", TYO) == "2030-01-01T08:00:00+09:00"


# ---------------------------------------------------------------- rule 11: refusals


@error_case(
    ("", SH, "empty"),
    ("   ", SH, "empty"),
    ("\u3000\u00a0", SH, "empty"),
    ("hello", SH, "no date found"),
    ("发布于", SH, "no date found"),
    ("UTC+8", SH, "no date found"),
    ("上午", SH, "no date found"),
    ("2025年8月", SH, "the day is missing"),
    ("2025-08", SH, "the day is missing"),
    ("八月", SH, "the day is missing"),
    ("八月, 2025", SH, "the day is missing"),
    ("Aug 2025", SH, "the day is missing"),
    ("August", SH, "the day is missing"),
    ("2025", SH, "the month and day are missing"),
    ("2025年", SH, "the month and day are missing"),
    ("24日", SH, "the month is missing"),
    ("二月 30, 2025", SH, "February 2025 has 28 days"),
    ("二月 30", SH, "February has at most 29 days"),
    ("四月 31, 2025", SH, "April 2025 has 30 days"),
    ("四月 31", SH, "April has 30 days"),
    ("2025-02-29", SH, "February 2025 has 28 days"),
    ("2025-04-31", SH, "April 2025 has 30 days"),
    ("十三月 1, 2025", SH, "there is no month 13"),
    ("2025-13-01", SH, "there is no month 13"),
    ("2025-00-10", SH, "there is no month 0"),
    ("2025-08-00", SH, "there is no day 0"),
    ("2025-08-32", SH, "no month has 32 days"),
    ("2025年8月32日", SH, "no month has 32 days"),
    ("0000-01-01", SH, "no year 0"),
    ("25年8月24日", SH, "four digits"),
    ("Sunday, 24-Aug-25 10:00:00 GMT", SH, "four digits"),  # RFC 850
    ("2025-08-24 10:00 +25:00", SH, "not a valid UTC offset"),
    ("10:61", SH, "minute 61"),
    ("2025-08-24 2025-08-25", SH, "a date twice"),
    ("2025-08-24 10:00 - 12:00", SH, "range"),
    ("2025-08-24 ~ 2025-08-25", SH, "cannot read"),
    ("2025-08-24 (updated 3)", SH, "cannot read"),
    ("2025-08-24 (", SH, "not closed"),
    ("3天", SH, "cannot tell"),
    ("刚刚 10:00", SH, "cannot be combined"),
    ("3小时前 2025-08-24", SH, "cannot be combined"),
    ("2025-08-24 hello", SH, "cannot read 'hello'"),
    ("x" * 500, SH, "too long"),
    ("2025-08-24 " + "1" * 300, SH, "too long"),
)
def test_rule11_refusals(text, tz, reason):
    assert reason in refused(text, tz)


# ---------------------------------------------------------------- decisions DATES.md leaves open


@case(
    # A zone abbreviation alone counts when the site zone uses it ...
    ("Sun Aug 24 15:04:05 CST 2025", SH, "2025-08-24T15:04:05+08:00"),
    ("2025-08-24 15:04 CST", TP, "2025-08-24T15:04:00+08:00"),
    ("2025-08-24 15:04 JST", TYO, "2025-08-24T15:04:00+09:00"),
    ("2025-08-24 15:04 HKT", HK, "2025-08-24T15:04:00+08:00"),
    ("2025-08-24 15:04 BST", LON, "2025-08-24T15:04:00+01:00"),
    ("2025-08-24 15:04 PDT", LA, "2025-08-24T15:04:00-07:00"),
    ("2025-08-24 15:04 PST", LA, "2025-08-24T15:04:00-08:00"),  # its other season
    ("2025-11-02 01:30 PST", LA, "2025-11-02T01:30:00-08:00"),  # picks the second 01:30
    ("2025-11-02 01:30 PDT", LA, "2025-11-02T01:30:00-07:00"),
    # ... and RFC 822's US zones count in RFC 822's layout.
    ("Sun, 24 Aug 2025 10:00:00 EDT", SH, "2025-08-24T10:00:00-04:00"),
    ("Sun, 24 Aug 2025 10:00:00 CST", LA, "2025-08-24T10:00:00-06:00"),
    # In parentheses, UTC/GMT/offsets count when nothing outside gives a zone.
    ("2025-08-24 15:04 (UTC)", SH, "2025-08-24T15:04:00+00:00"),
    ("2025-08-24 15:04 (UTC+8)", LA, "2025-08-24T15:04:00+08:00"),
    ("2025-08-24 15:04 +0900 (UTC+8)", LA, "2025-08-24T15:04:00+09:00"),
    ("2025-08-24 15:04 (北京时间)", LA, "2025-08-24T15:04:00+08:00"),
    ("2025-08-24 15:04 (CST)", LA, "2025-08-24T15:04:00-07:00"),
    # Written out, a zone description is as good as a zone name.
    ("2025-08-24 15:04 中国标准时间", LA, "2025-08-24T15:04:00+08:00"),
    ("2025年8月24日 晚9点", SH, "2025-08-24T21:00:00+08:00"),
    ("2025年8月24日 早8点", SH, "2025-08-24T08:00:00+08:00"),
    ("2025年8月24日 下午", SH, "2025-08-24T00:00:00+08:00"),  # no clock: the date alone
    ("8月 24, 2025", TYO, "2025-08-24T00:00:00+09:00"),  # Hugo's short month in zh/ja
    ("周日, 8月 24, 2025", SH, "2025-08-24T00:00:00+08:00"),
    # More forms read with certainty.
    ("24/Aug/2025:10:00:00 +0000", SH, "2025-08-24T10:00:00+00:00"),
    ("2025-08-24T15:04:05+08:00[Asia/Shanghai]", LA, "2025-08-24T15:04:05+08:00"),
    ("2025-08-24T15:04:05[Asia/Tokyo]", LA, "2025-08-24T15:04:05+09:00"),
    ("Mon Aug 25 10:00:00 2025", UTC, "2025-08-25T10:00:00+00:00"),
    ("Posted on August 24th, 2025 at 3:04 pm", LA, "2025-08-24T15:04:00-07:00"),
    ("发布于 2025-08-24", SH, "2025-08-24T00:00:00+08:00"),
    ("更新时间：2025-08-24 15:04", SH, "2025-08-24T15:04:00+08:00"),
    ("Date: Sun, 24 Aug 2025 10:00:00 +0800", UTC, "2025-08-24T10:00:00+08:00"),
    ("2025-08-24.", SH, "2025-08-24T00:00:00+08:00"),
    ("令和7年8月24日", TYO, "2025-08-24T00:00:00+09:00"),
    ("平成元年1月8日", TYO, "1989-01-08T00:00:00+09:00"),
    ("去年8月24日", SH, "2024-08-24T00:00:00+08:00"),
    ("今年3月1日", SH, "2025-03-01T00:00:00+08:00"),
    ("上周三", SH, "2025-08-20T00:00:00+08:00"),
    ("上周日 15:00", SH, "2025-08-24T15:00:00+08:00"),
    ("本周一", SH, "2025-08-25T00:00:00+08:00"),
    ("周二十点", SH, "2025-08-26T10:00:00+08:00"),  # 周二 + 十点, not 周 + 二十点
    ("3个月前", SH, "2025-05-27T10:30:15+08:00"),
    ("1年前", SH, "2024-08-27T10:30:15+08:00"),
    ("一个半小时前", SH, "2025-08-27T09:00:15+08:00"),
    ("1.5小时前", SH, "2025-08-27T09:00:15+08:00"),
    ("3 hours ago", UTC, "2025-08-26T23:30:15+00:00"),
    ("an hour ago", UTC, "2025-08-27T01:30:15+00:00"),
    ("2 days ago", UTC, "2025-08-25T02:30:15+00:00"),
    ("yesterday", UTC, "2025-08-26T00:00:00+00:00"),
    ("just now", UTC, "2025-08-27T02:30:15+00:00"),
)
def test_decisions_where_dates_md_is_silent(text, tz, expected):
    assert rfc(text, tz) == expected


@error_case(
    ("Mon Jan 2 15:04:05 MST 2006", SH, "MST is ambiguous"),
    ("2025-08-24 15:04 CST", LA, "CST is ambiguous"),
    ("2025-08-24 15:04 PST", SH, "PST is ambiguous"),
    ("2025-08-24 15:04 [Mars/Olympus]", SH, "unknown time zone"),
    ("半天前", SH, "not a precise time"),
)
def test_decisions_refused(text, tz, reason):
    assert reason in refused(text, tz)


# ---------------------------------------------------------------- the API


def test_date_error_message_is_text_colon_reason():
    with pytest.raises(DateError) as info:
        parse_date("二月 30, 2025")
    assert str(info.value) == "二月 30, 2025: February 2025 has 28 days"
    assert info.value.text == "二月 30, 2025"
    assert info.value.reason == "February 2025 has 28 days"
    assert isinstance(info.value, ValueError)
    assert str(pickle.loads(pickle.dumps(info.value))) == str(info.value)


def test_unknown_zone_name_is_a_date_error():
    for name in ("Mars/Olympus", "", "Asia", "../etc/passwd", "asia/shanghai"):
        with pytest.raises(DateError, match="unknown time zone"):
            parse_date("2025-08-24", tz=name)


def test_tz_may_be_a_tzinfo():
    assert rfc("2025-08-24 10:00", ZoneInfo(LA)) == "2025-08-24T10:00:00-07:00"
    fixed = timezone(timedelta(hours=5, minutes=45))
    assert rfc("2025-08-24 10:00", fixed) == "2025-08-24T10:00:00+05:45"
    assert rfc("八月 24, 2025", fixed) == "2025-08-24T00:00:00+05:45"


def test_results_are_always_aware_and_the_fast_path_agrees_with_the_grammar():
    for tz in ZONES:
        fast = parse_date("八月 24, 2025", tz=tz)
        slow = parse_date("八月  24, 2025", tz=tz)  # two spaces: not the fast path
        assert fast == slow and fast.utcoffset() == slow.utcoffset()
        assert fast.tzinfo is ZoneInfo(tz)


def test_non_string_input_is_a_type_error():
    with pytest.raises(TypeError):
        parse_date(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parse_date("2025-08-24", tz=8)  # type: ignore[arg-type]


# ---------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    "dt,expected",
    [
        (datetime(2025, 8, 24, tzinfo=ZoneInfo(SH)), "2025-08-24T00:00:00+08:00"),
        (
            datetime(2025, 8, 24, 10, 0, 0, 500000, tzinfo=ZoneInfo(SH)),
            "2025-08-24T10:00:00.5+08:00",
        ),
        (
            datetime(2025, 8, 24, 10, 0, 0, 123456, tzinfo=ZoneInfo(UTC)),
            "2025-08-24T10:00:00.123456+00:00",
        ),
        (datetime(2025, 8, 24, 10, tzinfo=ZoneInfo(LA)), "2025-08-24T10:00:00-07:00"),
        (
            datetime(2025, 8, 24, 10, tzinfo=timezone(timedelta(hours=-4, minutes=-30))),
            "2025-08-24T10:00:00-04:30",
        ),
        (datetime(33, 1, 2, 3, 4, 5, tzinfo=ZoneInfo(UTC)), "0033-01-02T03:04:05+00:00"),
        # Offsets with seconds (local mean time) cannot be written: the instant is kept in UTC.
        (datetime(1900, 1, 1, 12, tzinfo=ZoneInfo(SH)), "1900-01-01T03:54:17+00:00"),
    ],
)
def test_format_rfc3339(dt, expected):
    assert format_rfc3339(dt) == expected


@pytest.mark.parametrize(
    "dt,expected",
    [
        (datetime(2025, 8, 24, tzinfo=ZoneInfo(SH)), "Sun, 24 Aug 2025 00:00:00 +0800"),
        (
            datetime(2025, 9, 1, 8, 5, 9, 999999, tzinfo=ZoneInfo(LA)),
            "Mon, 01 Sep 2025 08:05:09 -0700",
        ),
        (datetime(2025, 1, 15, 23, 59, tzinfo=ZoneInfo(UTC)), "Wed, 15 Jan 2025 23:59:00 +0000"),
        (
            datetime(2025, 8, 24, 10, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            "Sun, 24 Aug 2025 10:00:00 +0530",
        ),
    ],
)
def test_format_rfc822(dt, expected):
    assert format_rfc822(dt) == expected


def test_format_rfc822_uses_english_names_whatever_the_locale():
    import locale

    saved = locale.setlocale(locale.LC_TIME)
    for name in ("zh_CN.UTF-8", "zh_CN.utf8", "de_DE.UTF-8"):
        try:
            locale.setlocale(locale.LC_TIME, name)
            break
        except locale.Error:
            continue
    try:
        assert (
            format_rfc822(datetime(2025, 8, 24, tzinfo=ZoneInfo(SH)))
            == "Sun, 24 Aug 2025 00:00:00 +0800"
        )
    finally:
        locale.setlocale(locale.LC_TIME, saved)


@pytest.mark.parametrize("formatter", [format_rfc3339, format_rfc822])
def test_formatting_a_naive_datetime_is_refused(formatter):
    with pytest.raises(ValueError, match="naive"):
        formatter(datetime(2025, 8, 24))


# ---------------------------------------------------------------- properties


def same_instant(a: datetime, b: datetime) -> bool:
    # Compare in UTC: within one ZoneInfo, Python compares wall times and ignores fold.
    return a.astimezone(ZoneInfo(UTC)) == b.astimezone(ZoneInfo(UTC))


site_zones = st.sampled_from(ZONES)
fixed_offsets = st.builds(
    timezone,
    st.timedeltas(
        min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59)
    ),
)
any_zone = st.one_of(st.timezones(), fixed_offsets, site_zones.map(ZoneInfo))
# Years 2-9998: converting year 1 or 9999 to UTC can leave datetime's range.
aware = st.datetimes(
    min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=any_zone
)
naive_wall = st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31))


@settings(max_examples=400)
@given(aware, site_zones)
def test_property_rfc3339_round_trip(dt, site):
    assert same_instant(parse_date(format_rfc3339(dt), tz=site), dt)


@settings(max_examples=400)
@given(aware, site_zones)
def test_property_rfc822_round_trip(dt, site):
    whole_seconds = dt.astimezone(ZoneInfo(UTC)).replace(microsecond=0)  # RFC 822 has no fractions
    assert same_instant(parse_date(format_rfc822(dt), tz=site), whole_seconds)


@settings(max_examples=400)
@given(st.dates(min_value=date(2, 1, 1), max_value=date(9998, 12, 31)), site_zones)
def test_property_hugo_zh_round_trip(day, site):
    text = f"{CN_MONTHS[day.month - 1]}月 {day.day}, {day.year:04d}"
    expected = datetime.combine(day, time(0), tzinfo=ZoneInfo(site))
    assert same_instant(parse_date(text, tz=site), expected)


@settings(max_examples=400)
@given(naive_wall, site_zones)
def test_property_chinese_form_round_trip(wall, site):
    text = f"{wall.year:04d}年{wall.month}月{wall.day}日 {wall:%H:%M:%S}"
    expected = wall.replace(
        microsecond=0, fold=0, tzinfo=ZoneInfo(site)
    )  # a repeated wall time: the first
    assert same_instant(parse_date(text, tz=site), expected)


VOCABULARY = (
    sorted(dates._CJK_WORDS)
    + sorted(dates._ALPHA_WORDS)
    + [
        "2025",
        "08",
        "8",
        "24",
        "0",
        "12",
        "31",
        "99",
        "0800",
        "20250824",
        "123456789",
        "+",
        "-",
        "/",
        ".",
        ":",
        ",",
        "(",
        ")",
        "（",
        "）",
        "[Asia/Tokyo]",
        "[x]",
        "一",
        "十",
        "廿",
        "卅",
        "二〇二五",
        "〇",
        "○",
        "CST",
        "MST",
        "Ｚ",
        " ",
        "\u3000",
        "\u00a0",
        "２",
        "～",
    ]
)
nows = st.datetimes(
    min_value=datetime(1, 1, 1),
    max_value=datetime(9999, 12, 31),
    timezones=site_zones.map(ZoneInfo),
)


def parses_or_refuses(text: str, site: str, now: datetime) -> None:
    try:
        got = parse_date(text, tz=site, now=now)
    except DateError:
        return
    assert got.utcoffset() is not None


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=40), site_zones, nows)
def test_property_random_text_never_raises_anything_but_date_error(text, site, now):
    parses_or_refuses(text, site, now)


@settings(max_examples=3000, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(VOCABULARY), max_size=10).map("".join), site_zones, nows)
def test_property_token_soup_never_raises_anything_but_date_error(text, site, now):
    parses_or_refuses(text, site, now)


@pytest.mark.parametrize(
    "text", ["昨天", "3小时前", "8月24日", "周日", "10:30", "刚刚", "今年8月24日", "08-24"]
)
def test_absolute_refuses_what_depends_on_today(text):
    parse_date(
        text, tz="Asia/Shanghai", now=datetime(2025, 8, 24, 12, tzinfo=ZoneInfo("Asia/Shanghai"))
    )
    with pytest.raises(DateError, match="relative to today"):
        parse_date(text, tz="Asia/Shanghai", absolute=True)


@pytest.mark.parametrize(
    "text",
    [
        "八月 24, 2025",
        "2025年8月24日 下午3:04",
        "Sun, 24 Aug 2025 10:00:00 +0800",
        "民國114年8月24日",
    ],
)
def test_absolute_accepts_full_dates(text):
    assert parse_date(text, tz="Asia/Shanghai", absolute=True).year == 2025


# The fast path for the Hugo zh and ISO forms must answer exactly as the grammar does ---------

_ZONES = ["Asia/Shanghai", "America/Los_Angeles", "Europe/London", "UTC", "Asia/Tokyo"]


@st.composite
def _iso_like(draw) -> str:
    year = draw(st.integers(1, 9999))
    month, day = draw(st.integers(0, 13)), draw(st.integers(0, 32))
    text = f"{year:04d}-{month:02d}-{day:02d}"
    if draw(st.booleans()):
        hour, minute = draw(st.integers(0, 25)), draw(st.integers(0, 61))
        text += draw(st.sampled_from(["T", " "])) + f"{hour:02d}:{minute:02d}"
        if draw(st.booleans()):
            text += f":{draw(st.integers(0, 61)):02d}"
            if draw(st.booleans()):
                text += "." + str(draw(st.integers(0, 999999))).zfill(draw(st.integers(1, 6)))[:6]
        zone = draw(
            st.sampled_from(
                ["", "Z", "+08:00", "-04:00", "+00:00", "+05:45", "+25:00", "-23:59", "+14:00"]
            )
        )
        text += zone
    return text


@settings(max_examples=3000, deadline=None)
@given(_iso_like(), st.sampled_from(_ZONES))
def test_iso_fast_path_agrees_with_the_grammar(text: str, zone: str):
    assert_fast_path_agrees(text, zone)


def assert_fast_path_agrees(text: str, zone: str) -> None:
    """The fast path answers as the grammar does, or leaves the text to it."""
    site = ZoneInfo(zone)
    fast = dates._fast_path(text, site)
    try:
        slow = dates._parse_general(text, site, None, True)
    except DateError:
        assert fast is None, (text, fast)
        return
    if fast is not None:
        assert (fast, fast.utcoffset(), fast.tzinfo) == (slow, slow.utcoffset(), slow.tzinfo)


@settings(max_examples=2000, deadline=None)
@given(
    st.sampled_from(["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"]),
    st.integers(0, 40),
    st.integers(0, 9999),
    st.sampled_from(_ZONES),
)
def test_hugo_fast_path_agrees_with_the_grammar(month: str, day: int, year: int, zone: str):
    assert_fast_path_agrees(f"{month}月 {day}, {year}", zone)


@settings(max_examples=3000, deadline=None)
@given(
    st.integers(0, 9999),
    st.integers(0, 13),
    st.integers(0, 32),
    st.one_of(
        st.none(),
        st.tuples(
            st.sampled_from(["", "上午", "下午"]),
            st.integers(0, 25),
            st.integers(0, 61),
            st.one_of(st.none(), st.integers(0, 61)),
        ),
    ),
    st.booleans(),
    st.booleans(),
    st.sampled_from(_ZONES),
)
def test_slash_and_chinese_fast_paths_agree_with_the_grammar(
    year, month, day, clock, chinese, padded, zone
):
    width = 2 if padded else 1
    if chinese:
        text = f"{year:04d}年{month:0{width}d}月{day:0{width}d}日"
    else:
        text = f"{year:04d}/{month:0{width}d}/{day:0{width}d}"
    if clock is not None:
        half, hour, minute, second = clock
        text += f" {half}{hour:0{width}d}:{minute:02d}" + (
            f":{second:02d}" if second is not None else ""
        )
    assert_fast_path_agrees(text, zone)


def test_the_benchmark_forms_take_the_fast_path():
    site = ZoneInfo("Asia/Shanghai")
    for text in (
        "2025/08/24 15:04",
        "2025年8月24日 下午3:04",
        "2025年8月24日 上午11:59",
        "2025年08月24日",
    ):
        assert dates._fast_path(text, site) == dates._parse_general(text, site, None, True), text
