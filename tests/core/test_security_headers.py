import pytest


@pytest.mark.django_db
def test_pages_send_a_strict_content_security_policy(client):
    response = client.get("/accounts/login/")
    policy = response.headers["Content-Security-Policy"]
    directives = dict(
        ([*part.strip().split(" ", 1), ""])[:2] for part in policy.split(";") if part.strip()
    )
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert "'unsafe-inline'" not in directives["script-src"]
    assert directives["script-src"].split()[0] == "'self'"
    assert directives["frame-ancestors"] == "'none'"


@pytest.mark.django_db
def test_templates_carry_no_inline_script(client):
    body = client.get("/accounts/login/").content.decode()
    for chunk in body.split("<script")[1:]:
        tag = chunk.split(">", 1)[0]
        assert "src=" in tag, f"inline script found: <script{tag}>"


@pytest.mark.django_db
def test_https_settings_send_hsts_and_secure_cookies(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    response = client.get("/accounts/login/", secure=True)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response.cookies["csrftoken"]["secure"]


def test_no_template_or_asset_loads_from_a_cdn():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"https?://(?!www\.w3\.org)[\w.-]+\.\w+/")
    offenders = []
    for path in [
        *root.glob("templates/**/*.html"),
        *root.glob("*/templates/**/*.html"),
        *root.glob("static/css/*.css"),
        *root.glob("static/js/*.js"),
    ]:
        if pattern.search(path.read_text(encoding="utf-8")):
            offenders.append(str(path.relative_to(root)))
    assert not offenders


def test_vendored_assets_are_present():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "static" / "vendor"
    for name in [
        "bootstrap/dist/css/bootstrap.min.css",
        "bootstrap/dist/js/bootstrap.bundle.min.js",
        "htmx.org/dist/htmx.min.js",
    ]:
        assert (root / name).stat().st_size > 10_000
