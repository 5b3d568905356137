"""Deployment (issue 13, item 7): the default config serves this machine only with Streamlit's defences on;
docs/deploy.md's proxy policy matches the installed Streamlit; with OIDC login configured nobody gets past the
sign-in screen, and every page says who is signed in."""

from __future__ import annotations

import base64
import hashlib
import re
import tomllib
from pathlib import Path

import pytest
import streamlit
from streamlit.testing.v1 import AppTest

from calculator.data.loader import MAX_FILE_BYTES

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
DEPLOY = (ROOT / "docs" / "deploy.md").read_text()


def test_the_default_config_serves_this_machine_only() -> None:
    server = CONFIG["server"]
    assert server["address"] == "localhost"
    assert set(server["allowedHosts"]) == {"localhost", "127.0.0.1"}


def test_the_default_config_keeps_streamlits_defences_on() -> None:
    server = CONFIG["server"]
    assert server["enableXsrfProtection"] is True and server["enableCORS"] is True
    assert server["enableStaticServing"] is False
    assert server["maxUploadSize"] * 2**20 == MAX_FILE_BYTES
    assert CONFIG["browser"]["gatherUsageStats"] is False
    assert CONFIG["client"]["showErrorDetails"] == "none"


def documented_csp() -> str:
    match = re.search(r'add_header Content-Security-Policy "([^"]+)"', DEPLOY)
    assert match, "docs/deploy.md shows the proxy's Content-Security-Policy"
    return match.group(1)


def test_deploy_doc_covers_the_proxy_headers_and_login() -> None:
    csp = documented_csp()
    assert "frame-ancestors 'none'" in csp and "connect-src 'self'" in csp and "'unsafe-eval'" not in csp
    for needle in ("X-Frame-Options", "allowedHosts", "st.login", "[auth]", "trustedUserHeaders", "MemoryMax"):
        assert needle in DEPLOY, needle


def test_the_documented_script_hash_is_the_installed_streamlits() -> None:
    index = (Path(streamlit.__file__).parent / "static" / "index.html").read_text()
    hashes = {
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in re.findall(r"<script>(.*?)</script>", index, re.S)
    }
    assert hashes and all(h in documented_csp() for h in hashes), f"update docs/deploy.md's script-src to {hashes}"


def run_as(user: dict[str, object], page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.user = user
    if page:
        at.switch_page(page)
    return at.run()


def test_with_login_configured_a_signed_out_user_sees_only_the_sign_in_screen() -> None:
    at = run_as({"is_logged_in": False}, "app_pages/export.py")  # even a page's own URL
    assert not at.exception
    assert [b.label for b in at.button] == ["Log in"]
    assert not at.dataframe and not at.get("download_button")


@pytest.mark.parametrize("page", ["app_pages/compare.py", "app_pages/measurements.py"])
def test_every_page_says_who_is_signed_in(page: str) -> None:
    at = run_as({"is_logged_in": True, "name": "Ada ![i](http://evil.example/i.png)", "email": "ada@x"}, page)
    assert not at.exception
    (said,) = [c.value for c in at.sidebar.caption if c.value.startswith("Signed in as Ada")]
    assert "\\!\\[i\\]" in said and "![" not in said and "](" not in said  # escaped: no image request
    assert "Log out" in [b.label for b in at.sidebar.button]


def test_a_user_named_by_the_proxy_is_shown_and_nobody_is_without_one() -> None:
    proxied = run_as({"email": "bob@example.com"})
    assert "Signed in as bob@example.com" in [c.value for c in proxied.sidebar.caption]
    assert "Log out" not in [b.label for b in proxied.sidebar.button]  # the proxy signs out, not the app
    anonymous = run_as({})
    assert not [c.value for c in anonymous.sidebar.caption if c.value.startswith("Signed in")]
