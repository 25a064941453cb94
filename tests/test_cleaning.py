"""Clean-up functions on real lines from the corpus, with exact expected text."""

import pytest

from conftest import corpus_text
from pipeline import cleaning


@pytest.mark.parametrize("raw, expected", [
    ("２０１６年占全球总人数１％的富人", "2016年占全球总人数1%的富人"),            # full-width digits
    ("全球化看似包罗万象，但其核心现象（图1）。", "全球化看似包罗万象，但其核心现象（图1）。"),  # Chinese marks kept
    ("Great\u00a0Stone\u00ad Park", "Great Stone Park"),
    ("\u3000\u3000序", "  序"),
    ("eﬃcient ﬁnancing", "efficient financing"),
    ("line one\r\nline two\x07", "line one\nline two"),
])
def test_normalise_unicode(raw, expected):
    assert cleaning.normalise_unicode(raw) == expected


@pytest.mark.parametrize("latex, expected", [
    (r"3 . 1 6 \%", "3.16%"),
    (r"4 0 \% ^ { [ 3 4 ] }", "40%[34]"),
    (r"\mathrm { k m } ^ { 2 }", "km²"),
    (r"\mathrm { C O } _ { 2 }", "CO₂"),
    (r"\textcircled{2}", "②"),
    (r"5 0 0 \mathrm { ~ m ~ }", "500 m"),
    (r"8 0 \sim 1 6 0", "80~160"),
    (r"2 ^ { \circ } \mathrm { C }", "2°C"),
])
def test_latex_math_to_text(latex, expected):
    assert cleaning.latex_math_to_text(latex) == expected


def test_markdown_to_text_drops_markup_keeps_prose():
    md = (
        "# “一带一路”：引领包容性全球化\n\n"
        "![](images/a694bbfced40beb63000bdd1dfd6f1caca03c9c16ff7d0f170728492dc232149.jpg)\n\n"
        "Wuzhati Yeerken<sup>12</sup>, Zhang Wei<sup>123</sup>\n\n"
        "**Keywords:** Belt and Road Initiative, overseas industrial park\n\n"
        "By the end of 2016, China had established 56 industrial parks in 20 Belt and Road countries, "
        "attracting 1,082 enterprises with total investment of \\$18.55 billion.\n\n"
        "世界经济增长速度年平均达到了 $3 . 1 6 \\%$ ，总规模增长了3.47倍。\n\n"
        "$$\nA_{ij} = \\frac{x}{y}\n$$\n\n"
        "[chinaxiv.org/items/chinaxiv-201704.00224](http://chinaxiv.org/items/chinaxiv-201704.00224)\n\n"
        "注：\\*\\*\\*、\\*\\*、 $*$ 分别表示 $1 \\%$"
    )
    text = cleaning.markdown_to_text(md)
    assert cleaning.clean_pages([text]) == (
        "“一带一路”：引领包容性全球化\n\n"
        "Wuzhati Yeerken, Zhang Wei\n\n"
        "Keywords: Belt and Road Initiative, overseas industrial park\n\n"
        "By the end of 2016, China had established 56 industrial parks in 20 Belt and Road countries, "
        "attracting 1,082 enterprises with total investment of $18.55 billion.\n\n"
        "世界经济增长速度年平均达到了3.16%，总规模增长了3.47倍。\n\n"
        "chinaxiv.org/items/chinaxiv-201704.00224\n\n"
        "注：***、**、* 分别表示1%"
    )


def test_markdown_table_wrappers_are_dropped():
    # MinerU wraps its tables in a whole HTML page
    md = "表5\n\n<html><body><table><tr><td>年份</td><td>占比/%</td></tr><tr><td>1992</td><td>3.5</td></tr></table></body></html>\n\n注"
    assert cleaning.clean_pages([cleaning.markdown_to_text(md)]) == "表5\n\n年份 | 占比/%\n1992 | 3.5\n\n注"



def test_raw_html_tags_in_markdown_are_dropped_their_text_kept():
    """PDF-to-Markdown converters leave <img>, <div>, <br> and comments; an <img> line became the text's first line."""
    md = (
        '<img src="figure1.png" alt="Figure 1: location of the park">\n\n'
        "# China-Belarus Industrial Park: Great Stone at ten\n\n"
        '<div align="center">Wuzhati Yeerken<sup>1</sup>, Zhang Wei<sup>2</sup></div>\n\n'
        "<!-- page 2 -->\n"
        'The park covers 112.5 km<sup>2</sup> <img src="map.png" alt="map"/>near Minsk, the 4<sup>th</sup> '
        "<em>largest</em> zone abroad.<br>It had 100 residents by 2022 (p<0.05, <i>n</i> = 15).\n\n"
        "Cells <lift<9 are not tags.\n"
    )
    assert cleaning.clean_pages([cleaning.markdown_to_text(md)]) == (
        "China-Belarus Industrial Park: Great Stone at ten\n\n"
        "Wuzhati Yeerken, Zhang Wei\n\n"
        "The park covers 112.5 km² near Minsk, the 4th largest zone abroad. It had 100 residents by 2022 "
        "(p<0.05, n = 15).\n\n"
        "Cells <lift<9 are not tags."
    )


def test_a_formula_with_less_than_is_not_a_tag():
    """ChinaXiv-201810.00132V1, section 3.2.2: '<P<1.2' was read as a <p> tag running to the table's
    <html> wrapper, and a paragraph and the table's caption went with it."""
    md = ("并把农产品贸易潜力分为：潜力巨大型( $\\textstyle P \\leqslant 0 . 8$ ）、潜力开拓型（ $( 0 . 8 < P < 1 . 2 { \\ : }$ ）、"
          "潜力再造型 $( P \\geqslant 1 . 2 )$ 。\n\n"
          "（1）从区域层面分析。沿线地区与中国农产品贸易潜力系数都在增长。\n\n"
          "表5中国与沿线国家农产品贸易引力模型回归结果\n\n"
          "<html><body><table><tr><td>变量</td><td>系数</td></tr><tr><td>lnGDP</td><td>0.33</td></tr></table></body></html>\n")
    assert cleaning.clean_pages([cleaning.markdown_to_text(md)]) == (
        "并把农产品贸易潜力分为：潜力巨大型( P⩽0.8）、潜力开拓型（(0.8<P<1.2: ）、潜力再造型 (P⩾1.2) 。\n\n"
        "（1）从区域层面分析。沿线地区与中国农产品贸易潜力系数都在增长。\n\n"
        "表5中国与沿线国家农产品贸易引力模型回归结果\n\n"
        "变量 | 系数\nlnGDP | 0.33")

TABLE_5 = ("<html><body><table><tr><td>年份</td><td>农产品实际进出 口额／104USD</td><td>双边农产品贸易 潜力／104USD</td>"
           "<td>双边农产品贸易 提升空间／%</td></tr><tr><td>1992</td><td>1 528.9</td><td>61 520 755.1</td><td>302.38</td></tr>"
           "<tr><td>1993</td><td>41 285.0</td><td>457 387 754.2</td><td>10.79</td></tr></table></body></html>")


def test_table_rows_that_end_and_start_with_numbers_stay_lines():
    """Table 5 of ChinaXiv-201911.00014V1: long rows that end in a number, then start with one,
    looked like a number cut by a line end and were run together."""
    assert cleaning.clean_pages([cleaning.markdown_to_text(TABLE_5)]).split("\n") == [
        "年份 | 农产品实际进出 口额/104USD | 双边农产品贸易 潜力/104USD | 双边农产品贸易 提升空间/%",
        "1992 | 1 528.9 | 61 520 755.1 | 302.38",
        "1993 | 41 285.0 | 457 387 754.2 | 10.79"]


def test_html_table_rows_become_lines():
    table = ("<table><tr><td>地区</td><td>占比/%</td></tr>"
             "<tr><td>东盟</td><td>71.93</td></tr><tr><td></td><td></td></tr></table>")
    assert cleaning.html_table_to_text(table) == "地区 | 占比/%\n东盟 | 71.93"


def test_cells_spanning_rows_and_columns_leave_empty_cells_so_columns_line_up():
    """Table 4 of ChinaXiv-201810.00132V1: '南亚' spans the rows below it, so their shares stay
    under '占比/%'; a title spanning two columns adds no empty cell at the end."""
    table = ("<table><tr><td colspan=\"2\">area,2015</td></tr>"
             "<tr><td>地区</td><td>进出口</td><td>主要贸易品种</td><td>占比／%</td></tr>"
             "<tr><td rowspan=\"2\">南亚</td><td></td><td>油脂、腊类</td><td>15.4</td></tr>"
             "<tr><td>从中国进口</td><td>加工食品类</td><td>45</td></tr></table>")
    text = cleaning.clean_pages([cleaning.markdown_to_text(table)])
    assert text.split("\n") == ["area,2015", "地区 | 进出口 | 主要贸易品种 | 占比/%", "南亚 | | 油脂、腊类 | 15.4",
                                "| 从中国进口 | 加工食品类 | 45"]
    assert [cell for _, cell in cleaning.table_row_cells(text.split("\n")[3])] == ["", "从中国进口", "加工食品类", "45"]


def test_html_to_text_skips_scripts_and_keeps_title():
    html = ("<html><head><title>Great Stone</title><style>p{}</style></head><body>"
            "<script>alert('x')</script><h1>China-Belarus Industrial Park</h1>"
            "<p>Located near Minsk<sup>3</sup>, the park covers 112.5 km<sup>2</sup>.</p>"
            "<table><tr><th>Park</th><th>Host</th></tr><tr><td>Great Stone</td><td>Belarus</td></tr></table>"
            "</body></html>")
    text, title = cleaning.html_to_text(html)
    assert title == "Great Stone"
    assert cleaning.clean_pages([text]) == (
        "China-Belarus Industrial Park\n\nLocated near Minsk, the park covers 112.5 km².\n\n"
        "Park | Host\nGreat Stone | Belarus")


def test_seed_003_running_header_removed_cover_title_kept():
    raw = corpus_text("seeds/003_7f203e26457c0911.txt")
    text = cleaning.clean_pages(cleaning.split_pseudo_pages(raw))
    header = "How can overseas industrial parks open a new chapter of the Belt and Road?"
    assert raw.count(header) == 4  # a running header on the pages the text extraction kept apart
    # what is left is the cover title, set on four lines and joined back into one
    assert text.count(header) == 1
    assert text.startswith(f"Navigator 4th issue\n\n{header}\n\nJuly 2020\n\nContent")


SEED_002_SENTENCES = [
    "The China-Egypt Suez Economic and Trade Cooperation Zone, initiated in 1998, initially saw Chinese enterprises serving as consultants.",
    "In 2008, Tianjin TEDA Investment Holding Co., Ltd. partnered with Tianjin Development Zone Suez International Cooperation Co., Ltd.",
    "Now hosting 68 enterprises, it has developed five major industrial clusters.",
    "Similarly, TusHoldings, the developer of Tsinghua Science Park, is exploring technology park development in Pakistan.",
]


def test_remove_page_furniture_drops_running_header_and_page_numbers():
    bodies = [f"{first}\n{second}" for first, second in zip(SEED_002_SENTENCES, SEED_002_SENTENCES[1:] + SEED_002_SENTENCES[:1])]
    pages = [f"Bulletin of Overseas Industrial Parks, Vol. 32, No. 4\n{body}\n- {n} -"
             for n, body in enumerate(bodies, start=12)]
    assert cleaning.remove_page_furniture(pages) == bodies


def test_remove_page_furniture_leaves_a_single_page_alone():
    page = "Bulletin of Overseas Industrial Parks\nBody.\n3"
    assert cleaning.remove_page_furniture([page]) == [page]


def test_sentence_broken_by_blank_line_is_joined():
    # seed 000: the abstract's lines are separated by blank lines inside sentences
    raw = ("Accelerating the construction of China’s overseas cooperation industrial parks along\n\n"
           "the Belt and Road provides a win-win platform.\n\n"
           "Keywords: The Belt and Road; Overseas Cooperation Industrial Parks; Construction Modes\n\n"
           "Accelerating the construction")
    assert cleaning.clean_pages([raw]) == (
        "Accelerating the construction of China’s overseas cooperation industrial parks along the Belt and "
        "Road provides a win-win platform.\n\n"
        "Keywords: The Belt and Road; Overseas Cooperation Industrial Parks; Construction Modes\n\n"
        "Accelerating the construction")


def test_chinese_reference_broken_inside_a_word_is_joined():
    raw = ("[11] 洪联英, 张云. 我国境外经贸合作区建设与企业“走出去”战略[J]. 国\n\n际经贸探索, 2011(3): 48-54.\n\n"
           "[5] 赵传君. 金融危机形势下中俄经贸合作的新思路[J]. 北方经贸,\n\n2009(6): 6-8.\n\n"
           "[12] 乌苏里斯克经贸合作区绽放在俄罗斯的“龙江之花”[N]. 黑龙江日报,\n\n[13] 刘英奎")
    assert cleaning.clean_pages([raw]) == (
        "[11] 洪联英, 张云. 我国境外经贸合作区建设与企业“走出去”战略[J]. 国际经贸探索, 2011(3): 48-54.\n\n"
        "[5] 赵传君. 金融危机形势下中俄经贸合作的新思路[J]. 北方经贸, 2009(6): 6-8.\n\n"
        "[12] 乌苏里斯克经贸合作区绽放在俄罗斯的“龙江之花”[N]. 黑龙江日报,\n\n[13] 刘英奎")


def test_line_breaks_inside_chinese_words_and_numbers():
    paragraph = "1970—2010年，世界经济增长速度年平均达到了3.16%，总规模增长了3\n.47倍。如此庞大的经济体（2016年为11万\n亿美元）"
    assert cleaning.join_broken_lines(paragraph) == \
        "1970—2010年，世界经济增长速度年平均达到了3.16%，总规模增长了3.47倍。如此庞大的经济体（2016年为11万亿美元）"


@pytest.mark.parametrize("lines, expected", [
    ("with its extensive park development experience, part-\nnered with Tianjin", "with its extensive park development experience, partnered with Tianjin"),
    # the document writes 'high-quality' elsewhere: a real compound
    ("to build a high-quality platform. We need to build a high-\nquality platform", "to build a high-quality platform. We need to build a high-quality platform"),
    ("► More digital in operation\n► More diverse in operation", "► More digital in operation\n► More diverse in operation"),
    # a hyphen before a non-ASCII lower-case letter (seen in the bench corpus): joined, never a crash
    ("the coefficient of the Pearson-\nα test", "the coefficient of the Pearson- α test"),
])
def test_join_broken_lines_english(lines, expected):
    assert cleaning.join_broken_lines(lines, cleaning.document_vocabulary(lines)) == expected


@pytest.mark.parametrize("raw, expected", [
    ("the global economy is expected to contract 5.2% this year1. Meanwhile", "the global economy is expected to contract 5.2% this year. Meanwhile"),
    ("cope with downward risks to the world economy“2. The Belt", "cope with downward risks to the world economy“. The Belt"),
    ("an area of 112 km2 near Minsk", "an area of 112 km2 near Minsk"),
    ("the G20 summit and 5G networks", "the G20 summit and 5G networks"),
])
def test_strip_footnote_markers(raw, expected):
    assert cleaning.strip_footnote_markers(raw) == expected


def test_tidy_spaces_sets_chinese_numbers_solid():
    assert cleaning.tidy_spaces("达到了 3.16% ，总规模   增长了 185.5 亿美元") == "达到了3.16%，总规模 增长了185.5亿美元"


def test_looks_like_markdown():
    assert cleaning.looks_like_markdown(corpus_text("seeds/002_f3389fd23886204c.txt"))
    assert not cleaning.looks_like_markdown(corpus_text("seeds/003_7f203e26457c0911.txt"))
