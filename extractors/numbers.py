"""Number mentions in English and Chinese text, normalised to a value, a unit and a qualifier."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from core.types import Qualifier
from extractors.spoken import SCALE_WORDS, spoken_numbers

_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_NUMBER_RE = re.compile(
    rf"(?P<cur>US\$|USD ?|RMB ?|Rmb ?|CNY ?|CN¥|HK\$ ?|HKD ?|NT\$ ?|S\$|€|£|\$|¥|￥|人民币|新台币|新台幣)?"
    rf"(?P<num>{_DIGITS})"
    # "$44–50 trillion", "35-40%", "10 to 12 million"; not "2025 to RMB39.8 billion" (a year, then an amount)
    rf"(?:(?P<range>\s?(?:-|–|—|~)\s?(?:US\$|\$|RMB ?|¥)?|\sto\s)(?P<num2>{_DIGITS}))?"
    r"(?P<plus>\+)?"
    r"(?:\s?(?P<more>多|余))?"  # "330多亿", "330 多億": over 33 billion
    r"(?:(?P<wscale>[\s-]?(?i:trillion|billion|million|thousand|trln|tn|bln|bn|mn|mln)\b)"
    r"|(?P<lscale>[kKmMbBT]|(?<=\d) [MB])(?![A-Za-z0-9])"  # "942.1 M": a chart's label puts a space
    r"|\s?(?P<zscale>万亿|千亿|百亿|十亿|亿|萬億|萬|億|万|千(?![万亿])|兆(?=\s?\d{1,4}\s?[亿億]|元|新台))"
    # Taiwan press: "10 億次"; 兆 is a trillion there ("新台币1兆7100亿元"), only read so with money after
    r"(?:(?P<sub>\d{1,4})(?P<subscale>亿|億|万|萬))?"  # "1兆7100亿", "1亿7352万": one amount in two parts
    r")?"
    r"(?P<plus2>\+|[-\s]plus\b|多|余)?"
    r"(?P<pct>\s?(?:%|％|percent\b|per cent\b|pct\b|pc\b))?"
    r"(?P<cur3>[\s-]?(?:yuan|renminbi|RMB|CNY|USD|HKD|US dollars|Hong Kong dollars|HK dollars|dollars)\b"
    r"|(?:美元|港元|港币|新台币|新台幣|元|块)(?:人民币)?)?"
)
_SPELLED_UNITS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "a": 1,
    "an": 1,
    "a hundred": 100,
    "hundred": 100,
}
_ORDINALS = {
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
}
# "a quarter of a million", "half a billion": a fraction of a scale word
_FRACTION_RE = re.compile(
    r"\b(?P<frac>a quarter of|a third of|half|a half of)\s+an?\s+(?P<scale>billion|million)\b", re.IGNORECASE
)
_FRACTIONS = {"a quarter of": Decimal("0.25"), "a third of": Decimal(1) / 3, "half": Decimal("0.5"),
              "a half of": Decimal("0.5")}
# "nine consecutive quarters", "ninth straight quarter", "9th consecutive": streak counts
_STREAK_RE = re.compile(
    r"\b(?P<word>[a-z]+|\d+(?:st|nd|rd|th)?)(?P<tail>:?\s+(?:consecutive|straight|successive)\b"
    r"|(?=\s+(?:quarters?|years?|months?)\s+(?:in\s+a\s+row|running)\b))",  # "the ninth quarter in a row"
    re.IGNORECASE,
)
_ZH_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_ZH_RE = re.compile(
    r"(?P<num>[零〇一二两三四五六七八九十百千]+)(?:(?P<zscale>万亿|亿|萬|億|万)(?P<plus2>多|余)?"
    r"(?P<cur3>美元|元)?|(?P<quarters>个季度))"
)
# 成 counts tenths only when it ends the phrase: not 成本, 成为, 成交, nor the idiom 一成不变
_TENTHS_RE = re.compile(r"(?<![一二三四五六七八九十百千万亿\d])(?P<num>[一二三四五六七八九])成(?P<half>半)?"
                        r"(?=[。，、；！？,.;!?\s)）]|$|以上|左右|多|的|份额|市场)")
# "连续九个季度", HK "連續十季", spaced "連續第 10 季"
_ZH_STREAK_RE = re.compile(r"连续\s*第?\s*(?P<num>[零一二两三四五六七八九十\d]+)\s*(?=个?季)")

# Spelled, Chinese-numeral and streak forms all carry one of these; sentences without them skip those passes.
_WORDS_HINT_RE = re.compile(
    r"illion|thousand|hundred|percent|per cent|consecutive|straight|successive|in a row|running"
    r"|[万亿萬億]|季|连续",
    re.IGNORECASE,
)
SCALES = {
    "trillion": 10**12,
    "tn": 10**12,
    "t": 10**12,
    "billion": 10**9,
    "bn": 10**9,
    "b": 10**9,
    "trln": 10**12,
    "bln": 10**9,
    "million": 10**6,
    "mn": 10**6,
    "mln": 10**6,
    "m": 10**6,
    "thousand": 10**3,
    "k": 10**3,
    "万亿": 10**12,
    "萬億": 10**12,
    "千亿": 10**11,
    "百亿": 10**10,
    "十亿": 10**9,
    "亿": 10**8,
    "億": 10**8,
    "万": 10**4,
    "萬": 10**4,
    "千": 10**3,
    "兆": 10**12,
}
CURRENCIES = {
    "us$": "USD",
    "usd": "USD",
    "$": "USD",
    "dollars": "USD",
    "us dollars": "USD",
    "美元": "USD",
    "rmb": "CNY",
    "cn¥": "CNY",
    "cny": "CNY",
    "¥": "CNY",
    "￥": "CNY",
    "yuan": "CNY",
    "renminbi": "CNY",
    "人民币": "CNY",
    "元": "CNY",
    "块": "CNY",
    "元人民币": "CNY",
    "hk$": "HKD",
    "hkd": "HKD",
    "港元": "HKD",
    "港币": "HKD",
    "hong kong dollars": "HKD",
    "hk dollars": "HKD",
    "nt$": "TWD",
    "新台币": "TWD",
    "新台幣": "TWD",
    "s$": "SGD",
    "€": "EUR",
    "£": "GBP",
}
_QUALIFIER_BEFORE = [
    (
        Qualifier.AT_LEAST,
        re.compile(r"(?:at least|no less than|not less than|a minimum of|不少于|不低于|至少)\s*$", re.I),
    ),
    (Qualifier.UNDER, re.compile(r"(?:less than|fewer than|under|below|不到|不足|少于|低于)\s*$", re.I)),
    (
        Qualifier.OVER,
        re.compile(
            r"(?:over|more than|above|in excess of|upwards of|north of|beyond|past|exceed(?:ed|s|ing)?|"
            r"surpass(?:ed|es|ing)?|top(?:ped|s|ping)?|pass(?:ed|es|ing)?|cross(?:ed|es|ing)?|"
            r"br(?:eaks|eaking|oke)(?:\s+through)?|"
            r"突破|冲破|超过|超|逾|多于|高于|破)\s*$",
            re.I,
        ),
    ),
    (
        Qualifier.APPROX,
        re.compile(
            r"(?:about|approximately|approx\.?|around|roughly|nearly|almost|close to|circa|some|an estimated|"
            r"大约|约|近|将近|接近)\s*$",
            re.I,
        ),
    ),
]
_TRAILING_SPACE = r"\s*$"
# All of the above in one pattern, searched once per number (the leftmost, longest phrase wins:
# "no less than" over "less than").
_QUALIFIER_BEFORE_RE = re.compile(
    "|".join(f"(?P<{q.name}>{p.pattern.removesuffix(_TRAILING_SPACE)})" for q, p in _QUALIFIER_BEFORE)
    + r"(?=\s*$)",
    re.I,
)
_QUALIFIER_AFTER = [
    (Qualifier.OVER, re.compile(r"^\s*(?:plus\b|以上|多)")),
    (Qualifier.AT_LEAST, re.compile(r"^\s*or more\b", re.I)),
    (Qualifier.APPROX, re.compile(r"^\s*左右")),
    (Qualifier.UNDER, re.compile(r"^\s*(?:以下|以内)")),
]
# Contexts in which a number is a name, a date, a version or page furniture rather than a quantity.
_NOISE_BEFORE_RE = re.compile(
    r"(?:[A-Za-z][-.]?|\d[-.]|[/#@]|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s|"
    r"\b(?:v|version|Apache|Python|iOS|Android|Windows|Gemini|GPT|Claude|Llama|Qwen|DeepSeek|Kimi|GLM|ERNIE|"
    r"Grok|Mistral|Phi|Gemma|Wan|S&P|Nasdaq|Fortune|Top|top|No\.|Section|Article|Chapter|Figure|Table|page|"
    r"Speaker|Episode|Season|Level|Stage|Phase|Series|Round|Gen|CVE|ISO|RFC)\s|"
    r"(?:千问|通义|文心|混元|盘古|星火)\s?)$",  # "千问3.5", "文心4.5": a model version
    re.ASCII,  # \b beside Chinese: "可与Gemini 2.5 Pro相当"
)
_NOISE_AFTER_RE = re.compile(
    r"^(?:\ufe0f?\u20e3|"  # "1️⃣": a keycap list marker
    r"[-‑]?[A-Za-z](?<!%)|\.\d|\.(?:HK|SS|SZ|SH|T|N|O)\b|:\d|/\d|\s?(?:年|月(?![活度均])|日|号|时|点|分钟|秒|分(?![之钟]))|"
    r"\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\b|"
    r"\s*(?:posts?|followers?|following|likes?|comments?|views?|shares? of stock|subscribers?|replies|"
    r"reposts?|"
    r"retweets?|claps?|reads?|min(?:ute)?s?\s+read|am\b|pm\b|a\.m\.|p\.m\.|ET\b|GMT\b|UTC\b|hours? ago|"
    r"days? ago|Pro\b|Max\b|Plus\b|Flash\b|Ultra\b|Turbo\b|Mini\b|Nano\b|Omni\b|Coder\b|VL\b|Instruct\b|"
    r"Thinking\b|Preview\b|Lite\b|Light\b|Air\b|Sonnet\b|Opus\b|Haiku\b|bit\b|-bit\b|parameters?\b|params?\b|"
    r"GB\b|TB\b|MB\b|nm\b|GHz\b|tokens?\b|context\b|上下文|参数|个?token))",
    re.ASCII,
)
_MODEL_SIZE_AFTER_RE = re.compile(r"^[\s-]?(?:parameters?|params?|models?|MoE|dense|-A\d)", re.I)
# An ordinal, or a span of time ("in the past 12 months", "3 years"): not a quantity anyone tracks.
_BARE_AFTER_RE = re.compile(
    r"^(?:st|nd|rd|th)\b|^[\s-]+(?:days?|weeks?|months?|years?|quarters?|hours?|minutes?|seconds?)\b", re.I
)
_NAME_BEFORE_RE = re.compile(r"\b[A-Z][A-Za-z]+\s$")
_NAME_AFTER_RE = re.compile(r"^\s*(?:[,.;:)\]]|$)")
_LONG_ID_DIGITS = 8  # bare digit runs this long are ids or phone numbers, not quantities
MAX_MAGNITUDE = 18  # decimal exponent: no quantity an article states reaches 10**18 (world GDP: ~10**14 USD)


@dataclass(frozen=True)
class Mention:
    """A number stated in a sentence, normalised."""

    value: Decimal
    unit: str  # "count", "percent" or an ISO currency code
    qualifier: Qualifier
    start: int  # offsets within the sentence
    end: int
    stated_value: Decimal | None = None  # as written, when a scale word was applied
    stated_unit: str | None = None
    streak: bool = False  # "nine consecutive", "ninth straight"
    scaled: bool = False  # carried a scale word, a currency or a percent sign


def find_numbers(text: str) -> list[Mention]:
    """Every quantity mentioned in a sentence, in order, without dates, names and furniture."""
    found = _digit_mentions(text)
    if _WORDS_HINT_RE.search(text):
        found += _spelled_mentions(text) + _chinese_mentions(text) + _streak_mentions(text)
        found += _fraction_mentions(text)
    if "成" in text:
        found += _tenths_mentions(text)
    found.sort(key=lambda m: (m.start, -m.end))
    kept: list[Mention] = []
    for mention in found:
        if mention.value.adjusted() >= MAX_MAGNITUDE:
            continue  # a digit run this long is an id, a hash or noise, and would not survive arithmetic
        if kept and mention.start < kept[-1].end and not _same_range(kept[-1], mention):
            continue
        kept.append(mention)
    return kept


def _same_range(a: Mention, b: Mention) -> bool:
    """Both ends of one range ("$44–50 trillion") are kept."""
    return a.start == b.start and a.end == b.end


def _digit_mentions(text: str) -> list[Mention]:
    """Mentions written with digits: 34%, RMB22.3B, $44–50 trillion, 7352万, 2亿+."""
    out: list[Mention] = []
    position = 0
    while (match := _NUMBER_RE.search(text, position)) is not None:
        position = max(match.end(), position + 1)
        if _year_opens_range(match):
            position = match.start("num2")  # "in the December quarter of 2025 to 43.3 billion yuan"
            continue
        if not _is_noise(text, match):
            out.extend(_from_match(text, match))
    return out


def _year_opens_range(match: re.Match[str]) -> bool:
    """True when a "range" starts with a bare year: the year dates what comes before, the amount follows."""
    return bool(match.group("range") or match.group("num2")) and not match.group("cur") and _is_year(
        match.group("num")
    )


def _is_year(digits: str) -> bool:
    """A bare four-digit year between 1900 and 2100."""
    return len(digits) == 4 and digits.isdigit() and 1900 <= int(digits) <= 2100


def _is_noise(text: str, match: re.Match[str]) -> bool:
    """True when the digits are a date, year, version, model name, time or page furniture."""
    before, after = text[max(0, match.start() - 12) : match.start()], text[match.end() : match.end() + 24]
    scaled = any(match.group(g) for g in ("cur", "wscale", "lscale", "zscale", "pct", "cur3"))
    if _NOISE_BEFORE_RE.search(before) and not match.group("cur"):
        return True
    if before.endswith(":") and not scaled:
        return True  # a time or a ratio ("10:30", "1:2"); "4QFY25:18%" is a labelled figure
    if match.group("lscale") and _MODEL_SIZE_AFTER_RE.match(after):
        return True
    if not match.group("pct") and _NOISE_AFTER_RE.match(after if not match.group("cur3") else ""):
        return True
    if match.start() == 0 and not scaled and re.match(r"^(?:[、.．)]\s?|\s*[-–]\s)", after):
        return True  # a list marker: "1、", "8. ", "2) "
    if not scaled and after.startswith("、"):
        return True
    if match.group("range") and not scaled:
        return True
    if not scaled and _NAME_BEFORE_RE.search(before) and _NAME_AFTER_RE.match(after):
        return True  # "Digital Commerce 360,", "Windows 11." : part of a name
    return not scaled and _bare_noise(match.group("num"), after)


def _bare_noise(digits: str, after: str) -> bool:
    """A number without unit that is a year, an ordinal or an id."""
    if "," not in digits and "." not in digits:
        if _is_year(digits):
            return True
        if len(digits) >= _LONG_ID_DIGITS:
            return True
    return _BARE_AFTER_RE.match(after) is not None


def _from_match(text: str, match: re.Match[str]) -> list[Mention]:
    """One mention, or two for a range."""
    multiplier, scale_word = _scale(match)
    unit = _unit(match)
    if unit == "count" and _yuan_implied(text, match):
        unit = "CNY"
    qualifier = _qualifier(text, match.start(), match.end(), match)
    scaled = any(match.group(g) for g in ("cur", "wscale", "lscale", "zscale", "pct", "cur3"))
    numbers = [match.group("num")] + ([match.group("num2")] if match.group("num2") else [])
    out = []
    for digits in numbers:
        stated = Decimal(digits.replace(",", ""))
        out.append(
            Mention(
                value=stated * multiplier + _sub_amount(match),
                unit=unit,
                qualifier=qualifier if len(numbers) == 1 else Qualifier.EXACT,
                start=match.start(),
                end=match.end(),
                stated_value=stated if multiplier != 1 else None,
                stated_unit=scale_word,
                scaled=scaled,
            )
        )
    return out


def _sub_amount(match: re.Match[str]) -> Decimal:
    """The lower part of a two-part amount: 7100亿 in "1兆7100亿"."""
    if not match.group("sub"):
        return Decimal(0)
    return Decimal(match.group("sub")) * SCALES[match.group("subscale")]


def _scale(match: re.Match[str]) -> tuple[int, str | None]:
    """The multiplier a scale word or suffix applies, and the word as written."""
    word = (match.group("wscale") or match.group("lscale") or match.group("zscale") or "").strip(" -")
    if not word:
        return 1, None
    return SCALES[word if word in SCALES else word.lower()], word


# Chinese drops 元 where the words around say money: "投入3800亿", "'3年3800亿'的资本开支计划", "营收2364亿"
_MONEY_BEFORE_RE = re.compile(
    r"(?:投入|投资|营收|收入|开支|资本开支|资本支出|预算|花费|耗资|砸下?|拿出)\s*(?:了|约|超|超过|逾|达|为|近|共|总计)?\s*$"
)
_MONEY_AFTER_RE = re.compile(
    r"\s*[\"”」』']?\s*的?\s*(?:AI|人工智能)?\s*(?:资本开支|资本支出|投资|投入|开支|预算|营收|收入|资金|计划|基础设施)"
)


def _yuan_implied(text: str, match: re.Match[str]) -> bool:
    """True for an amount in 亿 or 万亿 without a currency where the words around it say money."""
    if match.group("zscale") not in ("亿", "億", "万亿", "萬億", "千亿", "百亿"):
        return False
    before = text[max(0, match.start() - 12) : match.start()]
    return _MONEY_BEFORE_RE.search(before) is not None or _MONEY_AFTER_RE.match(text, match.end()) is not None


def _unit(match: re.Match[str]) -> str:
    """percent, an ISO currency, or count."""
    if match.group("pct"):
        return "percent"
    for group in ("cur", "cur3"):
        raw = (match.group(group) or "").strip().lower()
        if raw:
            return CURRENCIES.get(raw, CURRENCIES.get(raw.removesuffix("人民币"), "CNY"))
    return "count"


def _qualifier(text: str, start: int, end: int, match: re.Match[str] | None = None) -> Qualifier:
    """How the stated figure relates to the true one, from the words around it."""
    if match is not None and (match.group("plus") or match.group("plus2") or match.group("more")):
        return Qualifier.OVER
    before, after = text[max(0, start - 24) : start], text[end : end + 12]
    found = _QUALIFIER_BEFORE_RE.search(before)
    if found is not None and found.lastgroup:
        return Qualifier[found.lastgroup]
    for qualifier, pattern in _QUALIFIER_AFTER:
        if pattern.match(after):
            return qualifier
    return Qualifier.EXACT


# A change stated as a fall ("decreased by 2%", "a 2% decline", "同比下降2%"): the growth is negative. Not a
# fall *to* a level ("growth slowed to 26%", "fell to 26%"), which states the level itself.
_FALL_BEFORE_RE = re.compile(
    r"(?:\b(?:decreas(?:e|ed|es|ing)|declin(?:e|ed|es|ing)|fell|fall(?:s|ing)?|dropp?(?:ed|s|ing)?|"
    r"shr[aiu]nk(?:s|ing)?|contract(?:ed|s|ing)|slid(?:e|es|ing)?|slipp?(?:ed|s|ing)?|dipp?(?:ed|s|ing)?|"
    r"tumbl(?:ed|es|ing)|plung(?:ed|es|ing)|sank|sink(?:s|ing)?|down)"
    r"(?:\s+(?:year[- ](?:over|on)[- ]year|yoy|y/y))?\s+(?:by\s+)?(?:about|roughly|around|nearly|some|almost|"
    r"approximately|an?\s+)?"
    r"|(?:同比|按年|按年度)?(?:下降|下滑|减少|下跌|跌|萎缩|收缩|倒退)(?:了)?(?:约|近)?)$",
    re.IGNORECASE,
)
_FALL_AFTER_RE = re.compile(
    r"\s*(?:(?:year[- ](?:over|on)[- ]year|yoy|y/y|annual)\s+)?"
    r"(?:decline|decrease|drop|fall|contraction|slide|dip)\b",
    re.IGNORECASE,
)
_FALL_REACH = 40  # chars before a figure that may hold its fall verb and adverbs ("dropped by roughly")


def is_fall(text: str, mention: Mention) -> bool:
    """True when a percentage is stated as a fall, so the change it measures is negative."""
    if mention.unit != "percent":
        return False
    before = text[max(0, mention.start - _FALL_REACH) : mention.start]
    return _FALL_BEFORE_RE.search(before) is not None or _FALL_AFTER_RE.match(text, mention.end) is not None


def _spelled_mentions(text: str) -> list[Mention]:
    """Amounts in words: "one billion downloads", "twenty-six percent", "one point two billion"."""
    out = []
    for spoken in spoken_numbers(text):
        multiplier = SCALE_WORDS[spoken.scale] if spoken.scale else 1
        unit, end = ("percent", spoken.end) if spoken.percent else _currency_after(text, spoken.end)
        stated = spoken.base if spoken.scale else None
        qualifier = _qualifier(text, spoken.start, end)
        value = spoken.base * multiplier
        out.append(Mention(value, unit, qualifier, spoken.start, end, stated, spoken.scale, scaled=True))
    return out


def _fraction_mentions(text: str) -> list[Mention]:
    """A fraction of a scale word: "a quarter of a million" is 250,000."""
    out = []
    for match in _FRACTION_RE.finditer(text):
        scale = match.group("scale").lower()
        value = (_FRACTIONS[match.group("frac").lower()] * SCALES[scale]).quantize(Decimal(1))
        qualifier = _qualifier(text, match.start(), match.end())
        out.append(Mention(value, "count", qualifier, match.start(), match.end(), scaled=True))
    return out


def _currency_after(text: str, end: int) -> tuple[str, int]:
    """A currency word right after a spelled amount ("two billion yuan"), else count."""
    match = re.match(r"\s(yuan|renminbi|RMB|dollars|US dollars)\b", text[end : end + 12], re.I)
    if match is None:
        return "count", end
    return CURRENCIES[match.group(1).lower()], end + match.end()


def _streak_mentions(text: str) -> list[Mention]:
    """Streak counts: "nine consecutive quarters", "ninth straight quarter", "连续九个季度"."""
    out = []
    for match in _STREAK_RE.finditer(text):
        value = _streak_value(match.group("word").lower())
        if value is not None:
            out.append(
                Mention(Decimal(value), "count", Qualifier.EXACT, match.start(), match.end(), streak=True)
            )
    for match in _ZH_STREAK_RE.finditer(text):
        value = _chinese_int(match.group("num"))
        out.append(Mention(Decimal(value), "count", Qualifier.EXACT, match.start(), match.end(), streak=True))
    return out


def _streak_value(word: str) -> int | None:
    """The count a streak word stands for, or None when it is no number."""
    digits = re.match(r"^(\d+)", word)
    if digits:
        return int(digits.group(1))
    if word in _ORDINALS:
        return _ORDINALS[word]
    if word in _SPELLED_UNITS and word not in ("a", "an", "one", "hundred"):
        return _SPELLED_UNITS[word]
    return None


def _chinese_mentions(text: str) -> list[Mention]:
    """Amounts in Chinese numerals with a scale: 十七万, 三千八百亿元."""
    out = []
    for match in _ZH_RE.finditer(text):
        if match.group("quarters"):
            continue
        base = _chinese_int(match.group("num"))
        value = Decimal(base * SCALES[match.group("zscale")])
        unit = CURRENCIES[match.group("cur3")] if match.group("cur3") else "count"
        qualifier = Qualifier.OVER if match.group("plus2") else _qualifier(text, match.start(), match.end())
        out.append(
            Mention(
                value,
                unit,
                qualifier,
                match.start(),
                match.end(),
                Decimal(base),
                match.group("zscale"),
                scaled=True,
            )
        )
    return out


def _tenths_mentions(text: str) -> list[Mention]:
    """Shares in tenths: 四成 -> 40%, 三成半 -> 35% ("市占率升至四成")."""
    out = []
    for match in _TENTHS_RE.finditer(text):
        value = Decimal(_ZH_DIGITS[match.group("num")] * 10 + (5 if match.group("half") else 0))
        qualifier = _qualifier(text, match.start(), match.end())
        out.append(Mention(value, "percent", qualifier, match.start(), match.end(), scaled=True))
    return out


def _chinese_int(numeral: str) -> int:
    """The value of a Chinese (or Arabic) numeral below ten thousand: 十七 → 17, 三千八百 → 3800."""
    if numeral.isdigit():
        return int(numeral)
    total, current = 0, 0
    for char in numeral:
        if char in _ZH_DIGITS:
            current = _ZH_DIGITS[char]
        else:
            total += (current or 1) * {"十": 10, "百": 100, "千": 1000}[char]
            current = 0
    return total + current
