"""Ingest of every format and every failure class, on real files."""

import pytest

from conftest import CORPUS, FIXTURES, PDFS, corpus_text
from pipeline import errors
from pipeline.ingest import decode_text_bytes, ingest_file
from pipeline.records import guess_metadata

# ChinaXiv 201704.00221 (CC BY 4.0): a paragraph to re-encode as users' files come.
ZH_PARAGRAPH = ("1970一2010年，世界经济增长速度年平均达到了 3.16% ，总规模增长了3.47倍。"
                "另一方面，全球化也加剧了世界各国（地区）发展的不均衡，其中大量发展中国家获益较少。")
ZH_CLEAN = ("1970一2010年，世界经济增长速度年平均达到了3.16%，总规模增长了3.47倍。"
            "另一方面，全球化也加剧了世界各国（地区）发展的不均衡，其中大量发展中国家获益较少。")


def test_plain_text_seed():
    ingested = ingest_file(CORPUS / "seeds/004_214d4d4eb4e386b6.txt")
    assert ingested.format == "txt"
    assert ingested.text.startswith(
        "Journal of Geographical Sciences ›› 2018, Vol. 28 ›› Issue (9): 1288-1306.doi: 10.1007/s11442-018-1526-5\n\n"
        "• Orginal Article • Previous Articles Next Articles\n\n"
        "Chinese overseas industrial parks in Southeast Asia: An examination of policy mobility from the "
        "perspective of embeddedness\n\n")


def test_markdown_paper():
    ingested = ingest_file(CORPUS / "bri-zh/ChinaXiv-201704.00221V1.md")
    assert ingested.format == "md"
    assert ingested.text.startswith("专题：“一带一路”建设对策研究 Studies for Building the Belt and Road\n\n编者按")
    assert "![](" not in ingested.text and "$" not in ingested.text
    assert "世界经济增长速度年平均达到了3.16%，总规模增长了3.47倍。" in ingested.text


def test_text_file_that_is_markdown_is_cleaned_as_markdown():
    text = ingest_file(CORPUS / "seeds/002_f3389fd23886204c.txt").text
    assert "Wuzhati Yeerken, Zhang Wei, Liu Zhigao\n\n" in text
    assert "total investment of $18.55 billion" in text
    assert "**" not in text and "<sup>" not in text and "](" not in text


@pytest.mark.parametrize("encoding, bom", [
    ("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gb18030", b""), ("gbk", b""),
    ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-16-le", b""), ("utf-16-be", b""),
])
def test_text_encodings(tmp_path, encoding, bom):
    path = tmp_path / "paper.txt"
    path.write_bytes(bom + ZH_PARAGRAPH.encode(encoding))
    assert ingest_file(path).text == ZH_CLEAN


def test_gbk_english_and_chinese_mixed():
    data = "中白工业园 China-Belarus Industrial Park (Great Stone), 112.5平方公里".encode("gbk")
    assert decode_text_bytes(data).text == "中白工业园 China-Belarus Industrial Park (Great Stone), 112.5平方公里"


# Paragraphs written for these fixtures, each file being exactly `text.encode(encoding)`.
ENCODED_TEXTS = {
    "taizhong-rayong-big5.txt": ("big5",
        "泰中羅勇工業園位於泰國東部海岸的羅勇府，由中國華立集團與泰國安美德集團於2005年合作開發，規劃總面積12平方公里。"
        "截至2020年底，園區已吸引中國企業超過150家入駐，累計投資額逾40億美元，工業總產值超過160億美元，"
        "為當地創造了4萬多個就業機會。園區被視為中國傳統優勢產業在泰國的產業集群中心與製造出口基地。"),
    "great-stone-shift-jis.txt": ("shift_jis",
        "中国・ベラルーシ工業団地「グレート・ストーン」は、ミンスク国際空港の近くに位置し、総面積は約112.5平方キロメートルである。"
        "2019年末までに、中国、ベラルーシ、ロシア、ドイツなどから60社以上の企業が入居し、投資総額は11億ドルを超えた。"
        "税制の優遇措置と一括した行政サービスが、企業誘致の大きな要因とされている。"),
    "delegation-latin-1.txt": ("latin-1",
        "The delegation travelled from São Paulo to Zürich, then on to Abidjan in Côte d'Ivoire, where a naïve first "
        "résumé of the zone's progress had promised 12,000 jobs by 2025. Officials in Zürich noted that the café near "
        "the park's gate was the only place where the façade still looked finished."),
    "delegation-cp1252.txt": ("cp1252",
        "The delegation travelled from São Paulo to Zürich, then on to Abidjan in Côte d’Ivoire, where a “naïve” first "
        "résumé of the zone’s progress had promised 12,000 jobs in 2020–2025. Officials in Zürich noted that the café "
        "near the park’s gate was the only place where the façade still looked finished."),
    "great-stone-gbk.txt": ("gbk",
        "中白工业园位于白俄罗斯首都明斯克以东25公里处，规划面积112.5平方公里，是中国在海外开发面积最大、合作层次最高的经贸合作区。"
        "截至2022年底，园区入驻企业超过100家，来自中国、白俄罗斯、俄罗斯、德国等15个国家，协议投资总额超过13亿美元。"),
    "great-stone-gb18030.txt": ("gb18030",
        "中白工业园位于白俄罗斯首都明斯克以东25公里处，规划面积112.5平方公里，是中国在海外开发面积最大、合作层次最高的经贸合作区。"
        "截至2022年底，园区入驻企业超过100家，来自中国、白俄罗斯、俄罗斯、德国等15个国家，协议投资总额超过13亿美元。"
        "园区标志上印有“巨石”二字，欧元报价以€计。"),
    "great-stone-euc-kr.txt": ("euc-kr",
        "중국-벨라루스 산업단지 '그레이트 스톤'은 민스크에서 동쪽으로 25킬로미터 떨어진 곳에 있으며, 총면적은 112.5제곱킬로미터이다. "
        "2022년 말까지 15개국에서 100개가 넘는 기업이 입주했고, 협약 투자 총액은 13억 달러를 넘었다."),
    "great-stone-cp1251.txt": ("cp1251",
        "Китайско-белорусский индустриальный парк «Великий камень» расположен в 25 км от Минска. Площадь парка "
        "составляет 112,5 кв. км. К концу 2022 года в парке зарегистрированы более 100 резидентов из 15 стран, "
        "а объём заявленных инвестиций превысил 1,3 млрд долларов."),
    "short-big5.txt": ("big5", "泰中羅勇工業園"),
    "short-latin-1.txt": ("latin-1", "Zürich"),
}

WEAK_GUESSES = {"short-big5.txt": "big5", "short-latin-1.txt": "cp1252"}


@pytest.mark.parametrize("name", sorted(ENCODED_TEXTS))
def test_legacy_encodings_decode_exactly(name):
    """Big5, Shift-JIS and EUC-KR used to decode as GB18030, Latin-1 and cp1252 as cp775 or cp1250
    ('Săo', 'naďve'). A guess chardet itself calls weak (confidence at most 0.2) is a warning."""
    encoding, text = ENCODED_TEXTS[name]
    data = (FIXTURES / "encodings" / name).read_bytes()
    assert data == text.encode(encoding)
    decoded = decode_text_bytes(data)
    assert decoded.text == text
    weak = WEAK_GUESSES.get(name)
    assert decoded.warnings == ([f"encoding: guessed {weak} (not UTF-8; check the text)"] if weak else [])


def test_weak_encoding_guess_is_a_warning_of_the_ingested_file():
    ingested = ingest_file(FIXTURES / "encodings" / "short-big5.txt")
    assert ingested.text == "泰中羅勇工業園"
    assert ingested.warnings == ["encoding: guessed big5 (not UTF-8; check the text)"]



@pytest.mark.parametrize("name", ["paper.md", "paper.txt"])  # a .txt file with raw HTML and headings is Markdown
def test_markdown_paper_opening_with_an_image_tag_keeps_its_title(tmp_path, name):
    path = tmp_path / name
    path.write_text('<img src="figure1.png" alt="Figure 1: Location of the Great Stone park near Minsk">\n\n'
                    "# The China-Belarus Industrial Park after ten years\n\n"
                    'Great Stone covers 112.5 square kilometres.<img src="map.png"/> It lies near Minsk.\n',
                    encoding="utf-8")
    ingested = ingest_file(path)
    assert ingested.text == ("The China-Belarus Industrial Park after ten years\n\n"
                             "Great Stone covers 112.5 square kilometres. It lies near Minsk.")
    assert guess_metadata(ingested.text, ingested).title == "The China-Belarus Industrial Park after ten years"


def test_html_page(tmp_path):
    abstract = corpus_text("seeds/004_214d4d4eb4e386b6.txt").split("\n")[4]
    path = tmp_path / "page.html"
    path.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>Chinese overseas industrial parks in Southeast Asia"
        "</title><script>var tracking = 'x';</script></head><body><nav><a href='/'>Home</a></nav>"
        f"<h1>Chinese overseas industrial parks in Southeast Asia</h1><p>{abstract}</p>"
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; is shown as text.</p></body></html>", encoding="utf-8")
    ingested = ingest_file(path)
    assert ingested.format == "html"
    assert ingested.title_hint == "Chinese overseas industrial parks in Southeast Asia"
    assert ingested.text == ("Home\n\nChinese overseas industrial parks in Southeast Asia\n\n"
                             f"{' '.join(abstract.split())}\n\n<script>alert(1)</script> is shown as text.")
    assert "tracking" not in ingested.text


def test_two_column_pdf_reads_column_by_column_without_page_furniture():
    ingested = ingest_file(PDFS / "two-column-en.pdf")
    paragraphs = ingested.text.split("\n\n")
    assert paragraphs[0] == (
        "The China-Egypt Suez Economic and Trade Cooperation Zone, initiated in 1998 as a project jointly promoted "
        "by Chinese and Egyptian leaders, initially saw Chinese enterprises primarily serving as consultants. In "
        "2008, Tianjin TEDA Investment Holding Co., Ltd. (75% stake), with its extensive park development "
        "experience, partnered with Tianjin Development Zone Suez International Cooperation Co., Ltd. (5% stake) "
        "and Egypt's ECIC (5% stake) to form Egypt TEDA Investment Company as the implementation entity for "
        "development, construction, investment attraction, and management.")
    assert paragraphs[2].startswith("Similarly, TusHoldings, the developer of Tsinghua Science Park, is exploring "
                                    "technology park development in Pakistan")
    assert len(paragraphs) == 9  # three paragraphs, three times, none split by columns or pages
    assert "Bulletin of Overseas" not in ingested.text
    assert all(not p.isdigit() for p in paragraphs)
    assert ingested.title_hint == "Development Modes of China's Overseas Industrial Parks along the Belt and Road"
    assert ingested.authors_hint == ["Wuzhati Yeerken", "Zhang Wei", "Liu Zhigao"]


def test_chinese_pdf_joins_lines_broken_inside_words():
    ingested = ingest_file(PDFS / "chinese-zh.pdf")
    assert ingested.text == (
        "近40年来，全球社会经济格局发生了重大变化，而其驱动力主要是经济全球化。全球化看似包罗万象，但其核心现象是在制度、"
        "经济和技术力量的共同推动下，世界正在被塑造成为一个紧密的社会经济空间，各主体之间的相互关联和相互影响愈来愈强。\n\n"
        "1970—2010年，世界经济增长速度年平均达到了3.16%，总规模增长了3.47倍。如此庞大的经济体（2016年为11万亿美元）"
        "必然是塑造世界格局的重要力量。2006—2016年，我国对外直接投资从数十亿美元迅速攀升至1700多亿美元。")
    assert ingested.title_hint is None  # reportlab's 'untitled' is no title


def test_pdf_encrypted_with_empty_user_password_opens():
    ingested = ingest_file(PDFS / "empty-user-password.pdf")
    assert ingested.text == "Sihanoukville Special Economic Zone is a model project of Jiangsu."
    assert ingested.warnings == ["pdf: marked as not allowing text extraction; extracted anyway"]


def test_vertical_cjk_pdf():
    assert ingest_file(PDFS / "issue-449-vertical.pdf").text == "Layout\n\nVertical\n\nTest"


def test_pdf_text_inside_form_xobjects_and_recursion_refused():
    ingested = ingest_file(PDFS / "issue-1113-evil-xobjects.pdf")
    assert ingested.text == "Hello worldHello world"
    assert ingested.warnings == ["pdf: Refusing to execute circular reference to content stream 6"]


def test_damaged_but_readable_pdf_gives_text_and_a_warning():
    ingested = ingest_file(PDFS / "zen_of_python_corrupted.pdf")
    assert "Beautiful is better than ugly." in ingested.text
    assert ingested.warnings == ["pdf: Data-loss while decompressing corrupted data"]


@pytest.mark.parametrize("name, error, message", [
    ("aes-128.pdf", errors.EncryptedPDF, "encrypted: needs a password"),
    ("rc4-40.pdf", errors.EncryptedPDF, "encrypted: needs a password"),
    ("truncated.pdf", errors.CorruptPDF, "corrupt PDF: Unexpected EOF"),
    ("pdf-with-jbig2.pdf", errors.NeedsOCR, "needs OCR: no text layer (1 of 1 pages are images)"),
])
def test_pdf_failures(name, error, message):
    with pytest.raises(error) as raised:
        ingest_file(PDFS / name)
    assert str(raised.value) == message


@pytest.mark.parametrize("name, content, error, message", [
    ("empty.txt", b"", errors.EmptyDocument, "empty file"),
    ("blank.md", b"\n  \n\t\n", errors.EmptyDocument, "empty file"),
    ("only-images.md", b"![](images/fig1.jpg)\n\n![](images/fig2.jpg)\n", errors.EmptyDocument,
     "no text after removing markup"),
    ("not-a-pdf.pdf", "中白工业园".encode(), errors.CorruptPDF, "corrupt PDF: no %PDF header"),
    ("paper.docx", b"PK\x03\x04", errors.UnsupportedFormat,
     "unsupported format '.docx': expected one of .htm, .html, .markdown, .md, .pdf, .text, .txt"),
    ("README", b"text", errors.UnsupportedFormat,
     "unsupported format '(no extension)': expected one of .htm, .html, .markdown, .md, .pdf, .text, .txt"),
])
def test_file_failures(tmp_path, name, content, error, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(error) as raised:
        ingest_file(path)
    assert str(raised.value) == message


def test_binary_junk_with_a_text_extension(tmp_path):
    path = tmp_path / "figure.txt"
    path.write_bytes((PDFS / "pdf-with-jbig2.pdf").read_bytes()[-4000:])  # compressed image data
    with pytest.raises(errors.NotText, match=r"^binary content, not text"):
        ingest_file(path)


def test_missing_file(tmp_path):
    with pytest.raises(errors.MissingFile, match="^file not found: .*gone.md$"):
        ingest_file(tmp_path / "gone.md")


def test_every_failure_is_a_parks_error():
    for failure in (errors.EncryptedPDF, errors.CorruptPDF, errors.NeedsOCR, errors.EmptyDocument,
                    errors.NotText, errors.UnsupportedFormat, errors.MissingFile):
        assert issubclass(failure, errors.IngestError) and issubclass(failure, errors.ParksError)


def test_utf8_with_one_stray_byte_stays_utf8_with_a_warning():
    """Strict UTF-8 failed on one bad byte and chardet then read a Chinese paper as cp737."""
    head, tail = corpus_text("bri-zh/ChinaXiv-201704.00221V1.md")[:3000].split("\n", 1)
    decoded = decode_text_bytes(head.encode("utf-8") + b"\x80\n" + tail.encode("utf-8"))
    assert decoded.text == head + "\ufffd\n" + tail
    assert decoded.warnings == ["encoding: UTF-8 with 1 invalid byte sequences, shown as U+FFFD"]


def test_an_english_preface_does_not_decide_the_encoding_of_the_chinese_after_it():
    """chardet reads its first 200 kB only: 218 kB of English before GBK Chinese gave cp1252."""
    english = "The China-Belarus Industrial Park lies near Minsk. " * 4300 + "\n"
    chinese = "中白工业园位于白俄罗斯明斯克州，占地面积112.5平方公里。\n" * 20
    decoded = decode_text_bytes(english.encode("ascii") + chinese.encode("gbk"))
    assert decoded.text == english + chinese and decoded.warnings == []
