"""The review app's guard against other sites (DNS rebinding, cross-origin posts) and its answers
to bad requests: a 4xx with the reason, and nothing stored or rewritten."""

import pytest
from fastapi.testclient import TestClient

from conftest import EXTRACTED
from pipeline.records import read_record, write_record
from pipeline.review import ReviewStore
from pipeline.review_app import create_app

SEED = "002_f3389fd23886204c"
ORIGIN = "http://127.0.0.1:8765"
SECURITY_HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "x-frame-options": "DENY"}
HOST_HINT = "; open the app at 127.0.0.1 or localhost, or start it with --host set to the name used to reach it"


@pytest.fixture()
def out(tmp_path):
    (tmp_path / "documents").mkdir()
    write_record(read_record(EXTRACTED / "documents" / f"{SEED}.json"), tmp_path)
    return tmp_path


@pytest.fixture()
def store(out):
    store = ReviewStore(out / "review.sqlite")
    yield store
    store.close()


def make_client(out, store, resources, allowed_hosts=(), base_url=ORIGIN):
    client = TestClient(create_app(out, store, resources, allowed_hosts=allowed_hosts), base_url=base_url)
    client.headers["X-CSRF-Token"] = client.get("/api/session").json()["csrf"]
    client.headers["Origin"] = base_url
    return client


@pytest.fixture()
def client(out, store, resources):
    return make_client(out, store, resources)


def assert_security_headers(response):
    assert {k: response.headers.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS
    assert "default-src 'self'" in response.headers["content-security-policy"]


# --- hosts and origins -----------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/static/app.js", "/api/session", f"/api/documents/{SEED}", "/nowhere"])
@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.evil.example",
                                  "localhost.evil.example:8765", "127.0.0.1:notaport", ""])
def test_a_host_that_is_not_this_machine_is_refused_on_every_route(client, path, host):
    response = client.get(path, headers={"Host": host})
    assert (response.status_code, response.json()) == (421, {"detail": f"host not allowed: {host!r}" + HOST_HINT})
    assert "csrf" not in response.text
    assert_security_headers(response)


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "127.0.0.1", "localhost:8765", "LOCALHOST", "[::1]:8765",
                                  "[::1]", "127.4.5.6:80"])
def test_loopback_hosts_are_served(client, host):
    response = client.get("/api/session", headers={"Host": host})
    assert response.status_code == 200 and len(response.json()["csrf"]) > 20
    assert_security_headers(response)


def test_the_host_given_with_host_is_allowed_too(out, store, resources):
    client = make_client(out, store, resources, allowed_hosts=["review.lab.example"],
                         base_url="http://review.lab.example:8765")
    entity = client.get(f"/api/documents/{SEED}").json()["entities"][0]
    body = {"doc_id": SEED, "entity_id": entity["id"], "action": "accept", "reviewer": "Li"}
    assert client.post("/api/decisions", json=body).status_code == 200
    assert client.get("/api/session", headers={"Host": "other.lab.example"}).status_code == 421


def test_the_review_command_allows_its_host(out, store, monkeypatch, tmp_path):
    import uvicorn
    from typer.testing import CliRunner

    from flows.cli import app

    served = {}
    monkeypatch.setenv("PARKS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(uvicorn, "run", lambda app_, **options: served.update(app=app_, **options))
    result = CliRunner().invoke(app, ["review", "--out", str(out), "--host", "10.1.2.3"])
    assert result.exit_code == 0, result.output
    client = TestClient(served["app"], base_url="http://10.1.2.3:8765")
    assert client.get("/api/session").status_code == 200
    assert client.get("/api/session", headers={"Host": "evil.example"}).status_code == 421


@pytest.mark.parametrize("headers, reason", [
    ({"Origin": None}, "cross-origin request refused: no Origin or Referer"),
    ({"Origin": "null"}, "cross-origin request refused: Origin 'null'"),
    ({"Origin": "http://evil.example"}, "cross-origin request refused: Origin 'http://evil.example'"),
    ({"Origin": "http://localhost:8765"}, "cross-origin request refused: Origin 'http://localhost:8765'"),
    ({"Origin": "http://127.0.0.1:8766"}, "cross-origin request refused: Origin 'http://127.0.0.1:8766'"),
    ({"Origin": None, "Referer": "http://evil.example/#/doc/x"},
     "cross-origin request refused: Referer 'http://evil.example/#/doc/x'"),
    ({"Origin": None, "Host": "evil.example", "Referer": "http://evil.example/"}, "host not allowed: 'evil.example'" + HOST_HINT),
    ({"Origin": "http://evil.example", "Host": "evil.example"}, "host not allowed: 'evil.example'" + HOST_HINT),
])
def test_state_changing_requests_need_this_origin(client, store, headers, reason):
    entity = client.get(f"/api/documents/{SEED}").json()["entities"][0]
    body = {"doc_id": SEED, "entity_id": entity["id"], "action": "accept", "reviewer": "Li"}
    for name, value in headers.items():
        if value is None:
            del client.headers[name]
        else:
            client.headers[name] = value
    response = client.post("/api/decisions", json=body)
    assert (response.status_code, response.json()) == (421 if reason.startswith("host") else 403, {"detail": reason})
    assert_security_headers(response)
    assert store.decisions() == []


def test_a_referer_of_this_origin_stands_in_for_a_missing_origin(client, store):
    entity = client.get(f"/api/documents/{SEED}").json()["entities"][0]
    del client.headers["Origin"]
    response = client.post("/api/decisions", headers={"Referer": f"{ORIGIN}/#/doc/{SEED}"},
                           json={"doc_id": SEED, "entity_id": entity["id"], "action": "accept", "reviewer": "Li"})
    assert response.status_code == 200 and len(store.decisions()) == 1


@pytest.mark.parametrize("path", ["/nowhere", "/static/secret.py", "/api/documents/unknown", "/api/queue?limit=x"])
def test_error_answers_carry_the_security_headers(client, path):
    response = client.get(path)
    assert response.status_code in (404, 422)
    assert_security_headers(response)


@pytest.mark.parametrize("token", ["wrong", "", "caf\xe9".encode("latin-1")])
def test_a_wrong_csrf_token_is_refused_with_the_security_headers(client, token):
    response = client.post("/api/undo", json={"reviewer": "Li"}, headers={"X-CSRF-Token": token})
    assert (response.status_code, response.json()) == (403, {"detail": "missing or wrong CSRF token (reload the page)"})
    assert_security_headers(response)


# --- bad requests --------------------------------------------------------------------

FIGURE = "c3e80992899a1b41"  # "two Belt and Road monographs"
LONG = "x" * 301
NOT_UNICODE = "Input should be a valid string, unable to parse raw data as a unicode string"


def correction(after: str) -> str:
    return f'{{"doc_id": "{SEED}", "entity_id": "{FIGURE}", "action": "correct", "reviewer": "Li", "after": {after}}}'


def canonical(name: str = "X", aliases: str = "") -> str:
    return correction(f'{{"canonical": {{"id": "park:review:x", "name": "{name}", "name_zh": null, '
                      f'"aliases": [{aliases}]}}}}')


DECISIONS = "/api/decisions"
BAD_POSTS = {  # path, JSON body, status, the reason given
    "long document id": (DECISIONS, f'{{"doc_id": "{"a" * 5000}", "entity_id": "{FIGURE}", "action": "accept", '
                                    '"reviewer": "Li"}', 422, "doc_id: String should have at most 200 characters"),
    "lone surrogate in reviewer": (DECISIONS, f'{{"doc_id": "{SEED}", "entity_id": "{FIGURE}", "action": "accept", '
                                              '"reviewer": "\\ud800"}', 422, f"reviewer: {NOT_UNICODE}"),
    "NaN value": (DECISIONS, correction('{"value": NaN}'), 422, "after.value: Input should be a finite number"),
    "Infinity value": (DECISIONS, correction('{"value": Infinity}'), 422,
                       "after.value: Input should be a finite number"),
    "1e999 value": (DECISIONS, correction('{"value": 1e999}'), 422, "after.value: Input should be a finite number"),
    "text value": (DECISIONS, correction('{"value": "12"}'), 422, "after.value: Input should be a valid number"),
    "true as value": (DECISIONS, correction('{"value": true}'), 422, "after.value: Input should be a valid number"),
    "negative start": (DECISIONS, correction('{"start": -1}'), 422,
                       "after.start: Input should be greater than or equal to 0"),
    "text start": (DECISIONS, correction('{"start": "abc"}'), 422, "after.start: Input should be a valid integer"),
    "null end": (DECISIONS, correction('{"end": null}'), 422, "after.end: Input should be a valid integer"),
    "unknown type": (DECISIONS, correction('{"type": "city"}'), 422,
                     "after.type: Input should be 'park', 'country', 'company' or 'figure'"),
    "lower-case country": (DECISIONS, correction('{"country": "kh"}'), 422,
                           "after.country: String should match pattern '^[A-Z]{2}$'"),
    "three-letter country": (DECISIONS, correction('{"country": "KHM"}'), 422,
                             "after.country: String should match pattern '^[A-Z]{2}$'"),
    "long noun": (DECISIONS, correction(f'{{"noun": "{LONG}"}}'), 422,
                  "after.noun: String should have at most 300 characters"),
    "long unit": (DECISIONS, correction(f'{{"unit": "{LONG}"}}'), 422,
                  "after.unit: String should have at most 20 characters"),
    "lone surrogate in noun": (DECISIONS, correction('{"noun": "job\\udc00"}'), 422, f"after.noun: {NOT_UNICODE}"),
    "field not correctable": (DECISIONS, correction('{"confidence": 1}'), 422,
                              "after.confidence: Extra inputs are not permitted"),
    "lone surrogate as field name": (DECISIONS, correction('{"\\ud800": 1}'), 422, f"after: {NOT_UNICODE}"),
    "long canonical name": (DECISIONS, canonical(name=LONG), 422,
                            "after.canonical.name: String should have at most 300 characters"),
    "21 aliases": (DECISIONS, canonical(aliases=", ".join(f'"alias {n}"' for n in range(21))), 422,
                   "after.canonical.aliases: List should have at most 20 items after validation, not 21"),
    "long alias": (DECISIONS, canonical(aliases=f'"{LONG}"'), 422,
                   "after.canonical.aliases.0: String should have at most 300 characters"),
    "canonical without id": (DECISIONS, correction('{"canonical": {"name": "X", "name_zh": null}}'), 422,
                             "after.canonical.id: Field required"),
    "span outside the text": (DECISIONS, correction('{"end": 99999999}'), 400,
                              "span 23739-99999999 is outside the text (0-24700)"),
    "lone surrogate in bulk id": ("/api/bulk", f'{{"doc_id": "{SEED}", "canonical_id": "\\ud800", "action": "accept",'
                                               ' "scope": "document", "reviewer": "Li"}', 422,
                                  f"canonical_id: {NOT_UNICODE}"),
    "lone surrogate in undo": ("/api/undo", '{"reviewer": "\\udfff"}', 422, f"reviewer: {NOT_UNICODE}"),
}


@pytest.mark.parametrize("path, body, status, reason", BAD_POSTS.values(), ids=BAD_POSTS.keys())
def test_a_bad_request_is_refused_with_its_reason_and_changes_nothing(client, store, out, path, body, status, reason):
    record_file = out / "documents" / f"{SEED}.json"
    before = record_file.read_bytes()
    response = client.post(path, content=body.encode("utf-8"), headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()) == (status, {"detail": reason})
    assert_security_headers(response)
    assert store.decisions() == [] and record_file.read_bytes() == before


def test_the_reason_of_a_bad_request_is_short(client):
    response = client.post("/api/decisions", content=correction(f'{{"noun": "{"x" * 10_000_000}"}}').encode(),
                           headers={"Content-Type": "application/json"})
    assert response.json() == {"detail": "after.noun: String should have at most 300 characters"}


@pytest.mark.parametrize("path, status, reason", [
    (f"/api/documents/{'a' * 5000}", 400, "document id longer than 200 characters"),
    ("/api/queue?limit=1e999", 422, "limit: Input should be a valid integer, unable to parse string as an integer")])
def test_a_bad_address_is_refused_with_its_reason(client, path, status, reason):
    response = client.get(path)
    assert (response.status_code, response.json()) == (status, {"detail": reason})
    assert_security_headers(response)
