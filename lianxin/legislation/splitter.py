"""Split a draft law (plain text or Markdown) into chapters (第…章) and articles (第…条).

Headings are recognised at the start of a line, also inside Markdown (``## 第二章 管理``,
``**第五条** …``). Chinese numerals are read with ``cn2an`` (第十二条 → 12, 第一百零一条 → 101);
Arabic digits (第12条) work too. Text before the first chapter or article (the title, a preamble) is
the introduction. Section headings (第…节) are structure only and are not kept in an article's text.

A line that starts with an article label but without a separator after it (``第十二条规定的…``) is
a heading only when it carries the next expected number: otherwise it is a cross-reference that
happens to begin a line, and stays in the current article's text.

Anything that does not add up raises ``DraftError`` with the line number: no articles, an article
number repeated, out of order or skipped, a chapter out of order, an article without text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import cn2an  # type: ignore[import-untyped]
from django.utils.translation import gettext as _

MAX_CHARS = 300_000
MAX_ARTICLES = 2000

NUM = r"[零〇一二两三四五六七八九十百千\d]+"
MARK = r"(?:\*\*|__|\*|_)?"
SEP = r"(?:[\s\u3000:：、.．]|$)"
_md_prefix = re.compile(r"^(?:#{1,6}\s*|>\s*|[-*+]\s+)*")
_chapter = re.compile(rf"^{MARK}\s*第({NUM})章{MARK}{SEP}\s*(.*?)\s*{MARK}\s*$")
_section = re.compile(rf"^{MARK}\s*第({NUM})节{MARK}{SEP}")
_article = re.compile(rf"^{MARK}\s*(第({NUM})条){MARK}(\s*{SEP})?\s*(.*)$")


class DraftError(Exception):
    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        self.message = (_("Line %(line)d: %(message)s") % {"line": line, "message": message}
                        if line else message)
        super().__init__(self.message)


@dataclass
class Article:
    number: int
    label: str
    line: int
    chapter_number: int | None = None
    chapter_title: str = ""
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines).strip()


@dataclass
class Chapter:
    number: int
    title: str  # the whole heading, e.g. 第二章 管理与服务
    line: int
    articles: list[Article] = field(default_factory=list)


@dataclass
class Draft:
    title: str
    introduction: str
    chapters: list[Chapter]
    articles: list[Article]


def to_number(numeral: str) -> int:
    """第十二条's 十二 → 12, 一百零一 → 101, 两百 → 200, 12 → 12; ValueError when it is none."""
    if numeral.isdigit():
        return int(numeral)
    value = cn2an.cn2an(numeral.replace("〇", "零"), "normal")
    if int(value) != value or value <= 0:
        raise ValueError(numeral)
    return int(value)


def _clean(line: str) -> str:
    """The line without Markdown's heading/quote/list prefixes and surrounding spaces."""
    return _md_prefix.sub("", line.strip().replace("\u3000", " ")).strip()


def _strip_marks(text: str) -> str:
    return re.sub(r"^(\*\*|__)(.*)\1$", r"\2", text.strip()).strip()


def split(text: str) -> Draft:
    if len(text) > MAX_CHARS:
        raise DraftError(_("The draft is too long (at most %(max)d characters).") % {"max": MAX_CHARS})
    intro: list[str] = []
    chapters: list[Chapter] = []
    articles: list[Article] = []
    chapter: Chapter | None = None
    current: Article | None = None
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        line = _clean(raw)
        found = _chapter.match(line)
        if found:
            try:
                value = to_number(found.group(1))
            except ValueError:
                raise DraftError(_("“%(text)s” is not a chapter number.") % {"text": found.group(1)}, number) from None
            expected = chapters[-1].number + 1 if chapters else 1
            if value != expected:
                raise DraftError(_("Chapter %(found)d where chapter %(expected)d was expected.")
                                 % {"found": value, "expected": expected}, number)
            heading = re.sub(r"\s+", " ", _strip_marks(line).replace("*", "").replace("_", " ")).strip()
            chapter = Chapter(number=value, title=heading[:200], line=number)
            chapters.append(chapter)
            current = None
            continue
        if _section.match(line):
            continue
        found = _article.match(line)
        if found:
            try:
                value = to_number(found.group(2))
            except ValueError:
                value = 0
            expected = articles[-1].number + 1 if articles else 1
            separated = found.group(3) is not None
            if value and (separated or value == expected):
                if value != expected:
                    if any(a.number == value for a in articles):
                        message = _("Article %(number)d appears twice (first on line %(first)d).") % {
                            "number": value, "first": next(a.line for a in articles if a.number == value)}
                    else:
                        message = _("Article %(found)d where article %(expected)d was expected.") % {
                            "found": value, "expected": expected}
                    raise DraftError(message, number)
                if current is not None and not current.text:
                    raise DraftError(_("Article %(number)d has no text.") % {"number": current.number}, current.line)
                if len(articles) >= MAX_ARTICLES:
                    raise DraftError(_("Too many articles (at most %(max)d).") % {"max": MAX_ARTICLES}, number)
                current = Article(number=value, label=found.group(1)[:20], line=number,
                                  chapter_number=chapter.number if chapter else None,
                                  chapter_title=chapter.title if chapter else "")
                rest = _strip_marks(found.group(4))
                if rest:
                    current.lines.append(rest)
                articles.append(current)
                if chapter is not None:
                    chapter.articles.append(current)
                continue
        if current is not None:
            current.lines.append(raw.strip())
        elif chapter is None:
            intro.append(line)
        elif line:
            # Text between a chapter heading and its first article: part of the chapter's heading.
            chapter.title = f"{chapter.title} {line}"[:200]
    if not articles:
        raise DraftError(_("No articles were found. Each article must start on its own line with its number, "
                         "e.g. “第一条 …”."))
    if not articles[-1].text:
        raise DraftError(_("Article %(number)d has no text.") % {"number": articles[-1].number}, articles[-1].line)
    empty = [c for c in chapters if not c.articles]
    if empty:
        raise DraftError(_("Chapter %(number)d has no articles.") % {"number": empty[0].number}, empty[0].line)
    introduction = "\n".join(intro).strip()
    title = next((_clean(line) for line in intro if _clean(line)), "")
    title = _strip_marks(title).strip("《》 ")
    return Draft(title=title[:200], introduction=introduction, chapters=chapters, articles=articles)
