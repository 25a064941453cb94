"""Blocks, languages and sentences on real corpus text."""

import pytest

from conftest import CORPUS
from pipeline.ingest import ingest_file
from pipeline import segment
from pipeline.segment import Segmenter, block_languages, detect_language, segment_text, split_blocks


def sentences(text, segmenter):
    return [(s.lang, text[s.start:s.end]) for s in segment_text(text, segmenter).sentence_spans]


@pytest.mark.parametrize("text, lang", [
    ("中白工业园位于白俄罗斯明斯克州", "zh"),
    ("China-Belarus Industrial Park (Great Stone)", "en"),
    ("关键词: 境外园区, 中白工业园", "zh"),
    ("The park is called 中白工业园 in Chinese and Great Stone in Belarus", "en"),
    ("采用DSDM模型分析", "zh"),
    ("2015 | 71.93 | 8.35", None),
])
def test_detect_language(text, lang):
    assert detect_language(text) == lang


def test_chinese_sentences_end_on_chinese_marks(segmenter):
    # ChinaXiv 201704.00221, with two sentences of our own to cover ？ …… and ！
    text = ("该战略源自习近平总书记2013年9月和10月出访中亚和东南亚国家期间提出的两个倡议：9月7日在哈萨克斯坦纳扎尔巴耶夫大学演讲时，"
            "总书记提出与中亚国家共建“丝绸之路经济带”的倡议；10月3日在印度尼西亚国会演讲时，总书记提出与东盟国家共建"
            "“21世纪海上丝绸之路”。中白工业园能否成功？园区建设面临融资难、人才缺乏等问题……需要各方共同努力！")
    assert sentences(text, segmenter) == [
        ("zh", "该战略源自习近平总书记2013年9月和10月出访中亚和东南亚国家期间提出的两个倡议：9月7日在哈萨克斯坦纳扎尔巴耶夫大学演讲时，"
               "总书记提出与中亚国家共建“丝绸之路经济带”的倡议；"),
        ("zh", "10月3日在印度尼西亚国会演讲时，总书记提出与东盟国家共建“21世纪海上丝绸之路”。"),
        ("zh", "中白工业园能否成功？"),
        ("zh", "园区建设面临融资难、人才缺乏等问题……"),
        ("zh", "需要各方共同努力！"),
    ]


def test_closing_quote_stays_with_its_sentence(segmenter):
    text = "他说：“中白工业园是丝绸之路经济带上的明珠。”园区于2012年动工。"
    assert [s for _, s in sentences(text, segmenter)] == [
        "他说：“中白工业园是丝绸之路经济带上的明珠。”", "园区于2012年动工。"]


def test_english_sentences_keep_company_abbreviations(segmenter):
    text = ("In 2008, Tianjin TEDA Investment Holding Co., Ltd. (75% stake), with its extensive park development "
            "experience, partnered with Egypt's ECIC. Now hosting 68 enterprises, it has developed five major "
            "industrial clusters.")
    assert [s for _, s in sentences(text, segmenter)] == [
        "In 2008, Tianjin TEDA Investment Holding Co., Ltd. (75% stake), with its extensive park development "
        "experience, partnered with Egypt's ECIC.",
        "Now hosting 68 enterprises, it has developed five major industrial clusters.",
    ]


def test_kept_line_breaks_end_sentences(segmenter):
    text = "► More digital in operation – will shift primary industry toward high-tech fields\n► More diverse in operation"
    assert [s for _, s in sentences(text, segmenter)] == [
        "► More digital in operation – will shift primary industry toward high-tech fields",
        "► More diverse in operation"]


def test_chinese_tokens_come_from_jieba(segmenter):
    # golden segmentation of jieba 0.42.1's default dictionary (pinned in pyproject.toml)
    doc = segment_text("中国与“一带一路”沿线国家农产品贸易规模总量持续增长", segmenter).blocks[0].doc
    assert [t.text for t in doc] == ["中国", "与", "“", "一带", "一路", "”", "沿线", "国家", "农产品",
                                     "贸易规模", "总量", "持续增长"]


def test_bilingual_abstract_page_blocks(segmenter):
    text = ingest_file(CORPUS / "seeds/001_4f04597642f4cc6c.txt").text
    segmentation = segment_text(text, segmenter)
    assert [b.lang for b in segmentation.blocks] == ["en", "zh", "zh", "zh", "en", "en", "en", "zh", "en", "en"]
    assert text[segmentation.blocks[7].start:segmentation.blocks[7].end] == \
        "关键词: 境外园区, 政府间合作, 多尺度耦合, 中白工业园, “一带一路”倡议"
    assert segmentation.document_language() == "mixed"


@pytest.mark.parametrize("relative, language", [
    ("seeds/000_0e4e401a83931e9e.txt", "mixed"),  # English abstract, Chinese reference list
    ("seeds/002_f3389fd23886204c.txt", "en"),
    ("bri-zh/ChinaXiv-201704.00221V1.md", "zh"),  # Chinese paper with an English abstract
])
def test_document_language(segmenter, relative, language):
    text = ingest_file(CORPUS / relative).text
    assert segment_text(text, segmenter).document_language() == language


def test_blocks_are_paragraphs():
    text = "First paragraph.\n\nSecond, with\na kept line.\n\n\n第三段。"
    assert [text[s:e] for s, e in split_blocks(text)] == ["First paragraph.", "Second, with\na kept line.", "第三段。"]


def test_empty_text_has_no_blocks(segmenter):
    segmentation = segment_text("", segmenter)
    assert segmentation.blocks == [] and segmentation.document_language() is None


@pytest.mark.parametrize("first", ["zh", "en"])
def test_number_only_block_in_a_tie_takes_the_first_seen_language(first):
    """Not the first in a set: set order depends on PYTHONHASHSEED, and workers and serial runs differed."""
    blocks = {"zh": "关键词: 境外园区, 政府间合作, 多尺度耦合, 中白工业园",
              "en": "Keywords: overseas parks, intergovernmental cooperation, China-Belarus Industrial Park"}
    second = "en" if first == "zh" else "zh"
    text = "\n\n".join([blocks[first], blocks[second], "2015 | 71.93 | 8.35"])
    assert [lang for _, _, lang in block_languages(text)] == [first, second, first]


@pytest.mark.parametrize("warm_strings, grows", [(10**9, True), (0, False)])
def test_once_warm_a_document_leaves_no_strings_behind(monkeypatch, warm_strings, grows):
    segmenter = Segmenter()
    text = ingest_file(CORPUS / "seeds/001_4f04597642f4cc6c.txt").text
    monkeypatch.setattr(segment, "WARM_STRINGS", warm_strings)
    before = len(segmenter.nlp_en.vocab.strings) + len(segmenter.nlp_zh.vocab.strings)
    with segmenter.memory_zone():
        segmentation = segment_text(text, segmenter)
        tokens = [t.text for b in segmentation.blocks for t in b.doc]
    after = len(segmenter.nlp_en.vocab.strings) + len(segmenter.nlp_zh.vocab.strings)
    assert (after > before) is grows and "Belarus" in tokens and "中白工业园" in "".join(tokens)
