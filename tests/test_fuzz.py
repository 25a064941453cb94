"""Text nobody would write, through the library API: no exception, offsets that hold, and a
record that survives being saved and read again."""

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import extract_text
from pipeline.records import record_json
from pipeline.types import DocumentRecord


def extract(text, segmenter, resources):
    return extract_text(text, doc_id="fuzz", segmenter=segmenter, resources=resources)


def figures(record):
    return [(e.text, e.value, e.unit, e.noun) for e in record.entities if e.type == "figure"]


def saved_and_read(record):
    return DocumentRecord.model_validate_json(record_json(record))


def test_a_lone_surrogate_becomes_one_replacement_character(segmenter, resources):
    record = extract("中国在柬埔寨西港特区投资\ud800了185.5亿元。", segmenter, resources)
    assert record.text == "中国在柬埔寨西港特区投资\ufffd了185.5亿元。"
    assert figures(record) == [("185.5亿元", 18_550_000_000, "CNY", None)]
    assert saved_and_read(record) == record


def test_a_column_unit_past_the_range_of_a_float_is_unreadable(segmenter, resources):
    record = extract("国家 | 贸易额/10^999USD\n越南 | 12.5\n泰国 | 8.1", segmenter, resources)
    assert (record.status, figures(record)) == ("ok", [])
    assert saved_and_read(record) == record


def test_numbers_of_many_digits_are_figures_only_while_a_float_holds_them(segmenter, resources):
    forty = "1234567890" * 4
    record = extract(f"园区共有{forty}家企业，投资{'9' * 400}亿美元。", segmenter, resources)
    assert figures(record) == [(f"{forty}家企业", 1.23456789012e39, "count", "enterprise")]
    assert saved_and_read(record) == record


def test_a_power_of_ten_before_a_chinese_scale_word(segmenter, resources):
    record = extract("中方投资3.5×10^4万美元建设园区。", segmenter, resources)
    assert figures(record) == [("3.5×10^4万美元", 350_000_000, "USD", None)]


FRAGMENTS = [
    "中国-白俄罗斯工业园", "柬埔寨西港特区", "泰中罗勇工业园", "中白", "中巴经济走廊", "埃塞俄比亚东方工业园",
    "Malaysia-China Kuantan Industrial Park (MCKIP)", "Sany Heavy Industry Park", "Huajian Group", " in Vietnam",
    "185.5亿元", "$18.55 billion", "3.5×10^4万美元", "1,082 enterprises", "72.72%", "2.9 percentage points",
    "三大板块", "一百八十五点五亿元", "12万人", "近40年来", "贸易额/10^999USD", "×10⁸ USD", "10^", "万亿", "等公司",
    "1234567890123456789012345678901234567890", "9" * 320, "、", "，", "。", ". ", " | ", "\n", "\n\n", "\t",
    "\ud800", "\udfff", "\x00", "\x07", "\x1f", "\r\n", "\f", "ＡＢＣ１２３", "（", "）", "—", "-", "^", "#", "*",
]
TEXT = st.lists(st.one_of(st.sampled_from(FRAGMENTS),
                          st.text(st.characters(codec=None, min_codepoint=0, max_codepoint=0xFFFF), max_size=8)),
                max_size=40).map("".join)


@settings(max_examples=150, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_any_text_gives_a_record_that_holds(segmenter, resources, text):
    record = extract(text, segmenter, resources)
    size = len(record.text)
    for entity in record.entities:
        assert 0 <= entity.start < entity.end <= size
        assert record.text[entity.start:entity.end] == entity.text
        assert entity.value is None or math.isfinite(entity.value)
        assert 0 <= entity.sentence < max(1, len(record.sentences))
    for span in record.sentences + record.blocks:
        assert 0 <= span.start <= span.end <= size
    assert saved_and_read(record) == record
