"""Sign-in, roles, CSRF, rate limits, uploads and errors, against the served app."""

from __future__ import annotations

import httpx
import pytest

from demandos.web.security import SignInLimiter
from demandos.workspace import Workspace

from .conftest import PASSWORDS, UPLOAD_LIMIT, Served, sign_in

pytestmark = pytest.mark.slow


def _anonymous(served: Served) -> httpx.Client:
    return httpx.Client(base_url=served.url, follow_redirects=False, timeout=60)


def _error(answer: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "code", "message", "hint"}
    assert (body["error"]["status"], body["error"]["code"]) == (status, code)
    return body["error"]  # type: ignore[no-any-return]


def test_anonymous_pages_go_to_sign_in_and_writes_are_refused(served: Served) -> None:
    with _anonymous(served) as client:
        home = client.get("/")
        assert (home.status_code, home.headers["location"]) == (303, "/login")
        assert client.get("/login").status_code == 200
        _error(client.post("/api/actions", json={"title": "x", "owner": "maya"}), 401, "sign_in")
        _error(client.get("/api/metrics"), 401, "sign_in")
        page = client.get("/actions")
        assert (page.status_code, page.headers["location"]) == (303, "/login?next=/actions")


def test_the_session_cookie_is_http_only_and_same_site(served: Served) -> None:
    with _anonymous(served) as client:
        answer = client.post("/login", data={"login": "vic", "password": PASSWORDS["vic"]})
    cookie = answer.headers["set-cookie"].lower()
    assert answer.status_code == 303
    assert "demandos_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_a_write_without_the_csrf_token_is_refused(served: Served) -> None:
    with sign_in(served, "priya") as client:
        token = client.headers.pop("x-csrf-token")
        before = len(client.get("/api/actions").json())
        _error(client.post("/api/actions", json={"title": "x", "owner": "priya"}), 403, "csrf")
        refused = client.post("/actions", data={"title": "x", "owner": "priya"})
        assert refused.status_code == 403
        forged = client.post("/actions", data={"title": "x", "owner": "priya", "csrf": "forged"})
        assert forged.status_code == 403
        assert len(client.get("/api/actions").json()) == before  # nothing was written
        made = client.post(
            "/actions", data={"title": "Brief the Q1 webinar", "owner": "priya", "csrf": token}
        )
        assert made.status_code == 303
        assert len(client.get("/api/actions").json()) == before + 1


def test_a_viewer_reads_but_cannot_write(served: Served) -> None:
    with sign_in(served, "vic") as client:
        assert client.get("/api/metrics", params={"period": "2026-10"}).status_code == 200
        error = _error(
            client.post("/api/actions", json={"title": "x", "owner": "maya"}), 403, "forbidden"
        )
        assert "editor" in str(error["message"])
        assert client.post("/actions", data={"title": "x", "owner": "maya"}).status_code == 403
        assert client.post("/kernel/proposals/KP-0/accept", data={}).status_code == 403
        board = client.get("/actions")
        assert board.status_code == 200 and 'action="/actions"' not in board.text  # no form


def test_a_wrong_password_and_an_unknown_login_look_the_same(served: Served) -> None:
    with _anonymous(served) as client:
        wrong = client.post("/login", data={"login": "maya", "password": "not-her-password"})
        unknown = client.post("/login", data={"login": "nobody", "password": "not-her-password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.text == unknown.text
    assert "The login or the password is not right." in wrong.text
    assert "set-cookie" not in wrong.headers


def test_sign_in_is_rate_limited_per_key() -> None:
    limiter = SignInLimiter(attempts=3, window=60)
    for _ in range(3):
        assert limiter.retry_after("maya") is None
        limiter.failed("maya")
    wait = limiter.retry_after("maya")
    assert wait is not None and 0 < wait <= 61
    assert limiter.retry_after("ana") is None
    assert limiter.retry_after("ana", "maya") == wait


def test_the_server_answers_429_after_five_failures(served: Served) -> None:
    with _anonymous(served) as client:
        codes = [
            client.post("/login", data={"login": "ratelimited", "password": "wrong-password"},
                        headers={"accept": "application/json"}).status_code
            for _ in range(6)
        ]  # fmt: skip
        assert codes == [401] * 5 + [429]
        again = client.post(
            "/login",
            data={"login": "ratelimited", "password": "wrong-password"},
            headers={"accept": "application/json"},
        )
        error = _error(again, 429, "rate_limited")
        assert int(again.headers["retry-after"]) > 0
        assert str(error["hint"]).startswith("try again in ")
        # the right password does not get through either while the login is locked
        right = client.post("/login", data={"login": "ratelimited", "password": "x" * 12})
        assert right.status_code == 429
        # other users of the same address still sign in
        other = client.post("/login", data={"login": "vic", "password": PASSWORDS["vic"]})
        assert other.status_code == 303


def test_an_api_token_signs_in_without_csrf(served: Served) -> None:
    from demandos.web.users import Users

    with Workspace.open(served.root) as ws:
        token = Users(ws.log).issue_token("priya", "chat bot")
    with _anonymous(served) as client:
        headers = {"authorization": f"Bearer {token}"}
        made = client.post(
            "/api/actions", json={"title": "Post the recap", "owner": "priya"}, headers=headers
        )
        assert made.status_code == 201, made.text
        assert made.json()["owner"] == "priya"
        _error(client.get("/api/actions", headers={"authorization": "Bearer dos_nope"}), 401,
               "bad_token")  # fmt: skip


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("../../demandos.yaml", "bad_file_name"),
        ("..\\kernel.yaml", "bad_file_name"),
        ("/etc/passwd.csv", "bad_file_name"),
        ("notes.exe", "bad_file_type"),
    ],
)
def test_uploads_with_a_path_in_the_name_are_refused(served: Served, name: str, code: str) -> None:
    with sign_in(served, "priya") as client:
        answer = client.post("/api/ingest", files={"file": (name, b"a,b\n1,2\n", "text/csv")})
    _error(answer, 400, code)
    assert not (served.root / "demandos.yaml.csv").exists()
    assert (served.root / "demandos.yaml").read_text().startswith("#")  # untouched


def test_uploads_over_the_limit_are_refused(served: Served) -> None:
    with sign_in(served, "priya") as client:
        big = b"x" * (UPLOAD_LIMIT + 10)
        answer = client.post("/api/ingest", files={"file": ("big.csv", big, "text/csv")})
    _error(answer, 413, "too_large")


def test_a_bad_request_gets_the_error_shape_not_a_traceback(served: Served) -> None:
    with sign_in(served, "priya") as client:
        unknown_owner = client.post("/api/actions", json={"title": "x", "owner": "nobody"})
        error = _error(unknown_owner, 400, "invalid")
        assert "nobody" in str(error["message"]) and error["hint"]
        invalid = client.post("/api/actions", json={"owner": "priya"})
        _error(invalid, 422, "invalid")
        missing = client.get("/api/metrics/not_a_metric")
        _error(missing, 404, "not_found")
        for answer in (unknown_owner, invalid, missing):
            assert "Traceback" not in answer.text and 'File "' not in answer.text
