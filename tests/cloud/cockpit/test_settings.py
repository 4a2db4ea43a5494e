"""The ``cockpit`` section of the deployment file: safe defaults, errors that name the key, documented settings."""

from __future__ import annotations

from ipaddress import ip_network
from pathlib import Path

import pytest
from pydantic import BaseModel

from citytwin import deployment
from citytwin.errors import ConfigError
from cloud.cockpit import settings
from tests.cloud.test_config import DEMO, MINIMAL, _models


def _load(tmp_path: Path, extra: str) -> deployment.Deployment:
    path = tmp_path / "site.yaml"
    path.write_text(MINIMAL + extra)
    return deployment.load(path, environ={})


def test_defaults_are_safe_without_a_section(tmp_path: Path) -> None:
    cockpit = _load(tmp_path, "").cockpit
    assert cockpit.trusted_proxies == []  # X-Forwarded-For is believed from no one
    assert cockpit.session_ttl_s == 12 * 3600
    assert cockpit.login.user_failures <= cockpit.login.client_failures
    assert deployment.load(DEMO, environ={}).cockpit == cockpit


def test_a_section_sets_what_it_names(tmp_path: Path) -> None:
    cockpit = _load(tmp_path, "cockpit: {trusted_proxies: [10.0.0.5, 'fd00::/8'], login: {user_failures: 3}}\n").cockpit
    assert cockpit.trusted_proxies == [ip_network("10.0.0.5/32"), ip_network("fd00::/8")]
    assert cockpit.login.user_failures == 3 and cockpit.login.client_failures == 20


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("cockpit: {session_ttl_s: 1}\n", "cockpit.session_ttl_s"),
        ("cockpit: {trusted_proxies: ['*']}\n", "cockpit.trusted_proxies"),
        ("cockpit: {trusted_proxies: [proxy.example]}\n", "cockpit.trusted_proxies"),
        ("cockpit: {login: {backoff_s: 10, backoff_max_s: 5}}\n", "cockpit.login"),
        ("cockpit: {login: {user_failures: 0}}\n", "cockpit.login.user_failures"),
        ("cockpit: {login: {max_tracked: 100000000}}\n", "cockpit.login.max_tracked"),
        ("cockpit: {login_audit: {individual: 100000}}\n", "cockpit.login_audit.individual"),
        ("cockpit: {login_audit: {window: 5}}\n", "cockpit.login_audit.window"),
        ("cockpit: {basemap: {type: xyz}}\n", "cockpit.basemap"),
        ("cockpit: {basemap: {type: xyz, url: 'http://tiles.example/{z}/{x}/{y}.png'}}\n", "cockpit.basemap"),
        ("cockpit: {basemap: {type: xyz, url: 'https://tiles.example/tile.png'}}\n", "cockpit.basemap"),
        ("cockpit: {basemap: {type: style, url: 'javascript:alert(1)'}}\n", "cockpit.basemap"),
        ("cockpit: {basemap: {type: vectortiles, url: /site.mvt}}\n", "cockpit.basemap.type"),
        ("cockpit: {basemap: {type: pmtiles}}\n", "cockpit.basemap"),
        ("cockpit: {basemap: {type: pmtiles, url: /site.pmtiles}}\n", "cockpit.basemap"),
        ("cockpit: {basemap: {type: pmtiles, path: /a.pmtiles, url: 'https://x.example/a.pmtiles'}}\n", "cockpit.basemap"),
        ("cockpit: {basemap: {type: xyz, url: 'https://t.example/{z}/{x}/{y}.png', path: /a.pmtiles}}\n", "cockpit.basemap"),
        ("cockpit: {basemap: {type: pmtiles, path: [1]}}\n", "cockpit.basemap.path"),
        ("cockpit: {session_file: {a: 1}}\n", "cockpit.session_file"),
        ("cockpit: {degraded_fps: -1}\n", "cockpit.degraded_fps"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, extra: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, extra)
    assert key in str(caught.value)


def test_every_cockpit_setting_has_a_title_and_description() -> None:
    seen: set[type[BaseModel]] = set()
    _models(deployment.Deployment, seen)
    own = [m for m in seen if m.__module__ == settings.__name__]
    assert len(own) == 4
    for model in own:
        for name, info in model.model_fields.items():
            assert info.title and info.description, f"{model.__name__}.{name} needs a title and a description"


def test_a_basemap_origin_is_allowed_by_the_content_security_policy(tmp_path: Path) -> None:
    from cloud.security.headers import content_security_policy

    cockpit = _load(tmp_path, "cockpit: {basemap: {type: xyz, url: 'https://tiles.example:8443/{z}/{x}/{y}.png'}}\n").cockpit
    assert cockpit.basemap.origins() == ["https://tiles.example:8443"]
    policy = content_security_policy(cockpit.basemap.origins())
    assert "img-src 'self' https://tiles.example:8443;" in policy and "script-src 'self';" in policy
    assert _load(tmp_path, "").cockpit.basemap.origins() == []
