"""The article splitter on real-looking drafts, and on bad ones."""

import pytest

from lianxin.legislation.demo import DRAFT
from lianxin.legislation.splitter import DraftError, split, to_number

pytestmark = pytest.mark.usefixtures("english")  # these tests read English messages


@pytest.mark.parametrize(("numeral", "value"), [
    ("一", 1), ("十", 10), ("十二", 12), ("二十", 20), ("二十五", 25), ("一百", 100), ("一百零一", 101),
    ("一百一十", 110), ("两百", 200), ("12", 12), ("一百二十三", 123),
])
def test_chinese_numerals(numeral, value):
    assert to_number(numeral) == value


def test_demo_draft_has_four_chapters_and_twenty_five_articles():
    draft = split(DRAFT)
    assert [c.number for c in draft.chapters] == [1, 2, 3, 4]
    assert draft.chapters[1].title == "第二章 业主、业主大会和业主委员会"
    assert [a.number for a in draft.articles] == list(range(1, 26))
    twelve = draft.articles[11]
    assert twelve.label == "第十二条" and twelve.chapter_number == 2 and twelve.text.startswith("业主委员会任期届满前三个月")
    # a multi-paragraph article keeps its items; the next heading is not swallowed
    assert "（四）利用共有部分经营的收益及使用情况。" in draft.articles[10].text
    # a cross-reference inside a line stays text
    assert "违反本条例第十五条规定" in draft.articles[22].text
    assert draft.title == "太原市物业管理条例（草案）"
    assert draft.introduction.startswith("太原市物业管理条例（草案）") and "征求意见稿" in draft.introduction


def test_article_101_and_chapter_twenty():
    body = ["某某条例"]
    names = {1: "一", 100: "一百", 101: "一百零一", 102: "一百零二"}
    for n in range(1, 103):
        if n % 5 == 1:
            chapter = (n // 5) + 1
            cn = {1: "一", 2: "二", 20: "二十", 21: "二十一"}.get(chapter)
            body.append(f"## 第{cn or chapter}章 第{chapter}部分")
        body.append(f"第{names.get(n, n)}条　内容{n}。")
    draft = split("\n".join(body))
    assert draft.articles[100].number == 101 and draft.articles[100].label == "第一百零一条"
    assert draft.articles[100].chapter_number == 21
    assert any(c.title.startswith("第二十章") and c.number == 20 for c in draft.chapters)


def test_markdown_bold_and_headings():
    draft = split("# 某某办法（草案）\n\n前言一段。\n\n## 第一章 总则\n\n**第一条** 为了规范。\n\n### 第二章 管理\n\n"
                  "__第二条__：管理办法。\n- 第三条 第三条的文字。\n")
    assert [a.label for a in draft.articles] == ["第一条", "第二条", "第三条"]
    assert draft.articles[0].text == "为了规范。" and draft.articles[1].text == "管理办法。"
    assert draft.articles[1].chapter_title == "第二章 管理"
    assert draft.introduction == "某某办法（草案）\n\n前言一段。"


def test_plain_text_without_chapters_and_without_separator_after_the_label():
    draft = split("某某规定\r\n第一条为了规范。\r\n第二条适用范围。\r\n第一条规定的情形除外。\r\n")
    assert [a.number for a in draft.articles] == [1, 2]
    assert draft.articles[1].text == "适用范围。\n第一条规定的情形除外。"
    assert draft.chapters == []


@pytest.mark.parametrize(("text", "line", "words"), [
    ("只是一段话，没有条文。", None, "No articles"),
    ("第一条 甲。\n第二条 乙。\n第二条 丙。", 3, "appears twice"),
    ("第一条 甲。\n第三条 乙。", 2, "article 2 was expected"),
    ("第一条 甲。\n第二条\n第三条 丙。", 2, "no text"),
    ("第二章 管理\n第一条 甲。", 1, "chapter 1 was expected"),
    ("第一章 总则\n第二章 管理\n第一条 甲。", 1, "Chapter 1 has no articles"),
])
def test_bad_drafts_name_the_line(text, line, words):
    with pytest.raises(DraftError) as error:
        split(text)
    assert error.value.line == line
    assert words in error.value.message
    if line:
        assert error.value.message.startswith(f"Line {line}:")
