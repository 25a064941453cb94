"""Park-company relations a researcher can cite (issue 19, item 5, the companies part): companies
named as they are around parks, each company of a list linked, tenant cues. The bundled corpus
(academic papers) holds no such sentence; these are written in the shape news texts use, with
firms of the gazetteers and their public roles."""

import pytest

from pipeline.relations import RelationCues, document_relations
from pipeline.stages import extract_text


@pytest.fixture(scope="module")
def extract(segmenter, resources):
    return lambda text: extract_text(text, doc_id="t", segmenter=segmenter, resources=resources)


def companies(record):
    return [e.text for e in record.entities if e.type == "company"]


def company_relations(record):
    return [(r.kind, r.park.canonical.id, r.other.text) for r in document_relations(record, RelationCues.load())
            if r.kind in ("develops", "operates", "invests", "tenant")]


@pytest.mark.parametrize("text, expected", [
    # 部 ends 商务部 (a ministry), it is inside 北部湾 (a gulf)
    ("北部湾控股集团与商务部签署协议。", ["北部湾控股集团"]),
    # role and trade words between the proper noun and the legal form
    ("浙江华立海外实业发展有限公司负责园区运营。", ["浙江华立海外实业发展有限公司"]),
    ("柬埔寨国际投资开发集团负责园区运营。", ["柬埔寨国际投资开发集团"]),
    # a company name right before them is another name: 红豆集团 | 投资建设公司
    ("红豆集团投资建设公司", ["红豆集团"]),
    # Malaysian legal forms
    ("IJM Corporation Berhad holds 40%; Beibu Gulf Holding Sdn Bhd holds the rest.",
     ["IJM Corporation Berhad", "Beibu Gulf Holding Sdn Bhd"]),
])
def test_companies_as_named_around_parks(text, expected, extract):
    assert companies(extract(text)) == expected


def test_a_list_of_tenants_starts_after_its_verb(extract):
    """园区内已有A、B和C等企业入驻: the first company was read as 园区内已有A, which hid the park's
    reference 园区; each company of the list is now the park's tenant."""
    record = extract("泰中罗勇工业园位于泰国春武里府。园区内已有华为、中兴和海信等企业入驻。")
    assert companies(record) == ["华为", "中兴", "海信"]
    assert company_relations(record) == [("tenant", "park:rayong-industrial-zone", "华为"),
                                         ("tenant", "park:rayong-industrial-zone", "中兴"),
                                         ("tenant", "park:rayong-industrial-zone", "海信")]


def test_companies_brought_in_are_tenants_not_operators(extract):
    """企业，如A、B、C等: a list opened after its noun; 招商 (the park's investment attraction)
    brought them in (引入), it does not make them its operators."""
    record = extract("泰中罗勇工业园位于泰国春武里府。园区通过招商引入了一批企业，如华为、中兴、海信等，带动了就业。")
    assert companies(record) == ["华为", "中兴", "海信"]
    assert company_relations(record) == [("tenant", "park:rayong-industrial-zone", "华为"),
                                         ("tenant", "park:rayong-industrial-zone", "中兴"),
                                         ("tenant", "park:rayong-industrial-zone", "海信")]


def test_a_factory_in_the_zone_is_a_tenant(extract):
    record = extract("Workers assemble shoes at the Huajian factory in the Eastern Industrial Zone.")
    assert company_relations(record) == [("tenant", "park:eastern-industrial-zone-ethiopia", "Huajian")]


def test_a_shareholder_of_the_park_develops_it(extract):
    record = extract("In 2015, China Merchants Group became a shareholder of the Great Stone Industrial Park.")
    assert company_relations(record) == [("develops", "park:china-belarus-industrial-park", "China Merchants Group")]
