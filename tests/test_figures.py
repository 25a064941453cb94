"""Figures on real corpus sentences: value, unit, counted noun; and numbers that are not figures."""

import pytest

from pipeline import extract_text
from pipeline.figures import parse_number


def figures(text, segmenter, resources):
    record = extract_text(text, doc_id="t", segmenter=segmenter, resources=resources)
    return [(e.text, e.value, e.unit, e.noun) for e in record.entities if e.type == "figure"]


@pytest.mark.parametrize("text, expected", [
    # seed 002
    ("By the end of 2016, China had established 56 industrial parks in 20 Belt and Road countries, attracting "
     "1,082 enterprises with total investment of $18.55 billion and output value of $50.69 billion—accounting "
     "for 72.72%, 71.09%, 76.68%, and 72.13% respectively of China's total overseas parks.",
     [("56 industrial parks", 56, "count", "park"), ("20 Belt and Road countries", 20, "count", "country"),
      ("1,082 enterprises", 1082, "count", "enterprise"), ("$18.55 billion", 18_550_000_000, "USD", None),
      ("$50.69 billion", 50_690_000_000, "USD", None), ("72.72%", 72.72, "percent", None),
      ("71.09%", 71.09, "percent", None), ("76.68%", 76.68, "percent", None), ("72.13%", 72.13, "percent", None)]),
    # seed 003
    ("Non-financial outward direct investment reached US$ 6.5 billion up 16 %",
     [("US$ 6.5 billion", 6_500_000_000, "USD", None), ("16 %", 16, "percent", None)]),
    ("2.9 percentage points higher than that of 2019", [("2.9 percentage points", 2.9, "pp", None)]),
    ("Huajian Group invested 3.2 billion RMB to establish", [("3.2 billion RMB", 3_200_000_000, "CNY", None)]),
    ("It has developed five major industrial clusters over three decades",
     [("five major industrial clusters", 5, "count", "cluster"), ("three decades", 30, "year", None)]),
    # ChinaXiv 201704.00221 and 201810.00132
    ("1970一2010年，世界经济增长速度年平均达到了3.16%，总规模增长了3.47倍。", [("3.16%", 3.16, "percent", None)]),
    ("如此庞大的经济体（2016年为11万亿美元）必然是塑造世界格局的重要力量。",
     [("11万亿美元", 11_000_000_000_000, "USD", None)]),
    ("我国对外直接投资从数十亿美元迅速攀升至1700多亿美元（不含金融类投资）。",
     [("1700多亿美元", 170_000_000_000, "USD", None)]),
    ("贸易总额从2005年89.70×10⁸ USD增长到2015年的427.17×10⁸ USD",
     [("89.70×10⁸ USD", 8_970_000_000, "USD", None), ("427.17×10⁸ USD", 42_717_000_000, "USD", None)]),
    ("基于2000—2015年“一带一路”沿线66个国家的面板数据", [("66个国家", 66, "count", "country")]),
    ("吸引1.2万家企业入驻，投资185.5亿元", [("1.2万家企业", 12_000, "count", "enterprise"),
                                    ("185.5亿元", 18_550_000_000, "CNY", None)]),
    ("近40年来，全球社会经济格局发生了重大变化", [("40年", 40, "year", None)]),
    ("占地10平方公里，另有2000亩农田，比重提高3.16个百分点，百分之三十",
     [("10平方公里", 10, "km2", None), ("2000亩", 2000, "mu", None), ("3.16个百分点", 3.16, "pp", None),
      ("百分之三十", 30, "percent", None)]),
    ("规划80~160个项目", [("80", 80, "count", "project"), ("160个项目", 160, "count", "project")]),
    ("阿尔巴尼亚的增速为 -5.59%", [("-5.59%", -5.59, "percent", None)]),
    # Chinese numerals, with and without scale words
    ("投资一百八十五点五亿元，吸引两千家企业入驻，占地三十平方公里",
     [("一百八十五点五亿元", 18_550_000_000, "CNY", None), ("两千家企业", 2000, "count", "enterprise"),
      ("三十平方公里", 30, "km2", None)]),
    ("约3.5万亿元", [("3.5万亿元", 3_500_000_000_000, "CNY", None)]),
    # the counted noun in English when known, none when what follows is no noun
    ("划分为三大板块，提出八个推进", [("三大板块", 3, "count", "sector"), ("八个", 8, "count", None)]),
    ("2 Malaysia 45.9 -2.1% 14.1%", [("-2.1%", -2.1, "percent", None), ("14.1%", 14.1, "percent", None)]),
    ("其中高收入国家16个，中等偏上收入国家23个", [("16个", 16, "count", "country"), ("23个", 23, "count", "country")]),
    ("其中约有 2000 例死亡，运行线路达到39条", [("2000例", 2000, "count", "case"), ("39条", 39, "count", "route")]),
    ("China signed 200 B&R cooperation documents with 138 countries",
     [("200 B&R cooperation documents", 200, "count", "document"), ("138 countries", 138, "count", "country")]),
])
def test_figures(text, expected, segmenter, resources):
    assert figures(text, segmenter, resources) == expected


@pytest.mark.parametrize("text", [
    "The Belt and Road Initiative was launched in 2013 and Vision 2030 relies on 5G and the G20.",  # years, names
    "See Table 3 and Figure 2 on page 12, section 2.1.",            # labels
    "2.1 Current status and characteristics",                     # a section number
    "Beijing 100101, China; grant 41530751; DOI 10.11821/dlxb202006007",  # postcode, grant, DOI
    "2013年9月，第一个项目，第3个园区，十二届全国人大，前10名",                # dates, ordinals, ranks
    "在1%的水平上显著；一个国家",                                     # significance level, 'a'
    "从数十亿美元",                                                 # vague amount
])
def test_not_figures(text, segmenter, resources):
    assert figures(text, segmenter, resources) == []


def test_table_column_units():
    from pipeline.figures import find_table_figures
    from pipeline.resources import load_resources

    table = "地区及贸易 | 占比/% | 贸易额/亿美元\n东盟 | 71.93 | 1 374.59\n俄蒙 | 8.35 | -2.5"
    found = [(m.text, m.value, m.unit) for m in find_table_figures(table, load_resources().figure_vocabulary)]
    assert found == [("71.93", 71.93, "percent"), ("1 374.59", 137_459_000_000, "USD"),
                     ("8.35", 8.35, "percent"), ("-2.5", -250_000_000, "USD")]
    # ChinaXiv-201911.00014V1: '10⁴USD' came out of the PDF as '104USD'
    table = "年份 | 农产品实际进出 口额/104USD | 双边农产品贸易 提升空间/%\n1992 | 1 528.9 | 302.38"
    found = [(m.text, m.value, m.unit) for m in find_table_figures(table, load_resources().figure_vocabulary)]
    assert found == [("1 528.9", 15_289_000, "USD"), ("302.38", 302.38, "percent")]


@pytest.mark.parametrize("text, value", [
    ("1,082", 1082), ("3.5", 3.5), ("一百八十五点五", 185.5), ("两", 2), ("十二", 12), ("一万二千", 12000), ("abc", None),
])
def test_parse_number(text, value):
    assert parse_number(text) == value


def test_tables_flattened_out_of_a_pdf(resources):
    from pipeline.figures import find_flattened_table_figures

    # seed 003, figure 2 and figure 8, as the PDF text extraction left them
    text = ("Ranking Country\nProject value\n\n(US$ billion)\n\n1 Indonesia 95.9\n\n2 Russia 83.5\n\n"
            "Source: BMI, EY analysis\n\nFigure 8: The number of parks\n\nNumber of parks\n\nEase of doing business index\n\n"
            "(Average)\n\nAsia\n34 (62.4)\n\nIndonesia 9 69.6\n\n3 80.9")
    found = [(m.text, m.value, m.unit, m.noun) for m in find_flattened_table_figures(text, resources.figure_vocabulary)]
    assert found == [("95.9", 95_900_000_000, "USD", None), ("83.5", 83_500_000_000, "USD", None),
                     ("34", 34, "count", "park"), ("62.4", 62.4, "score", None),
                     ("9", 9, "count", "park"), ("69.6", 69.6, "score", None),
                     ("3", 3, "count", "park"), ("80.9", 80.9, "score", None)]
