"""The screens' scripts are ES modules with no build step: they link, they share code only by import, never a global.

Read from the files as the browser would load them: each page's ``<script>``
tags, then every ``import`` from there on, resolved the way the apps serve
them (``/static/`` is the screen's own folder, ``/shared/`` the one both mount).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cloud.cockpit.app import STATIC as COCKPIT_STATIC
from cloud.cockpit.app import create_app
from cloud.federation.screen import PAGE as REGION_PAGE
from cloud.federation.screen import STATIC as REGION_STATIC
from cloud.web.assets import SHARED
from tests.cloud.cockpit.fixtures import MakeCockpit, cockpit_lake, cockpit_users, cockpits  # noqa: F401
from tests.cloud.federation.support import idle_region_app

IMPORT = re.compile(r'^import\s+(?:(?P<what>[^;"]*?)\s+from\s+)?"(?P<spec>[^"]+)";', re.M)
EXPORT = re.compile(r"^export\s+(?:async\s+)?(?:function\*?|const|let|var|class)\s+(?P<name>[A-Za-z_$][\w$]*)", re.M)
# The list form, as bundled libraries (the vendored map library) end: export{a as Map,b as LngLat,c};
EXPORT_LIST = re.compile(r"export\s*\{(?P<names>[^}]*)\}")
# What reaches the global object from a module: the only way a module can share state by convention.
GLOBAL_OBJECT = re.compile(r"\b(?:window|globalThis)\b|\bself\s*[.\[]|\bdocument\.defaultView\b")


@dataclass(frozen=True)
class Screen:
    page: Path
    own: Path  # served at /static/

    def resolve(self, spec: str, importer: Path) -> Path:
        """The file a module specifier names, as the browser would fetch it from this screen's app."""
        if spec.startswith("./") and "/" not in spec[2:]:
            return importer.parent / spec[2:]
        if spec.startswith("/shared/"):
            return SHARED / spec.removeprefix("/shared/")
        if spec.startswith("/static/") and importer.parent != SHARED:  # a shared module cannot know which screen it is in
            return self.own / spec.removeprefix("/static/")
        raise AssertionError(f"{importer.name}: import {spec!r} is not a file this screen serves (./x.js, /static/x.js, /shared/x.js)")


SCREENS = {"cockpit": Screen(COCKPIT_STATIC / "index.html", COCKPIT_STATIC), "wall": Screen(COCKPIT_STATIC / "wall.html", COCKPIT_STATIC),
           "region": Screen(REGION_PAGE, REGION_STATIC)}


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))


def entries(screen: Screen) -> list[dict[str, str | None]]:
    parser = _Scripts()
    parser.feed(screen.page.read_text())
    return parser.scripts


def exports(module: Path) -> set[str]:
    source = module.read_text()
    listed = {part.split(" as ")[-1].strip() for found in EXPORT_LIST.finditer(source) for part in found["names"].split(",")}
    return set(EXPORT.findall(source)) | {name for name in listed if name}


def link(screen: Screen, module: Path, seen: dict[Path, list[str]]) -> None:
    """Follows every import of ``module``, checking each imported name is exported; collects problems in ``seen``."""
    if module in seen:
        return
    problems = seen[module] = []
    if not module.is_file():
        problems.append("is imported but does not exist")
        return
    source = module.read_text()
    for found in IMPORT.finditer(source):
        target = screen.resolve(found["spec"], module)
        link(screen, target, seen)
        if not target.is_file():
            continue
        what, offered = (found["what"] or "").strip(), exports(target)
        if what.startswith("* as "):
            alias = what.removeprefix("* as ")
            used = set(re.findall(rf"\b{re.escape(alias)}\.([A-Za-z_$][\w$]*)", IMPORT.sub("", source)))
            problems += [f"uses {alias}.{name}, which {target.name} does not export" for name in sorted(used - offered)]
        elif what.startswith("{"):
            names = {part.split(" as ")[0].strip() for part in what.strip("{} ").split(",") if part.strip()}
            problems += [f"imports {name}, which {target.name} does not export" for name in sorted(names - offered)]
        elif what:
            problems.append(f"imports a default export from {target.name}: export names instead")


@pytest.mark.parametrize("name", SCREENS)
def test_every_script_of_a_page_is_a_module(name: str) -> None:
    # A classic script's top-level declarations land in the global scope; a module's stay in the module.
    scripts = entries(SCREENS[name])
    assert scripts, f"{SCREENS[name].page.name} loads no script"
    assert [s for s in scripts if s.get("type") != "module" or not s.get("src")] == []


@pytest.mark.parametrize("name", SCREENS)
def test_every_import_resolves_to_a_served_file_that_exports_the_name(name: str) -> None:
    screen = SCREENS[name]
    seen: dict[Path, list[str]] = {}
    for script in entries(screen):
        link(screen, screen.resolve(str(script["src"]), screen.page), seen)
    assert {m.name: p for m, p in seen.items() if p} == {}
    # Nothing in the screen's folders is loaded some other way, or left behind unused by every page that serves it.
    for other in SCREENS.values():
        if other.own == screen.own and other is not screen:
            for script in entries(other):
                link(other, other.resolve(str(script["src"]), other.page), seen)
    served = set(screen.own.glob("*.js")) | {m for m in seen if m.parent == SHARED}
    assert sorted(p.name for p in served - set(seen)) == []


def test_the_shared_modules_are_used_by_both_screens() -> None:
    used: dict[str, set[str]] = {}
    for name, screen in SCREENS.items():
        if name == "wall":
            continue  # a second page of the cockpit
        seen: dict[Path, list[str]] = {}
        for script in entries(screen):
            link(screen, screen.resolve(str(script["src"]), screen.page), seen)
        used[name] = {m.name for m in seen if m.parent == SHARED}
    assert used["cockpit"] & used["region"] == {p.name for p in SHARED.glob("*.js")}


def test_no_module_touches_the_global_object() -> None:
    modules = [*COCKPIT_STATIC.glob("*.js"), *REGION_STATIC.glob("*.js"), *SHARED.glob("*.js")]
    assert len(modules) > 3
    found = {f"{m.parent.parent.name}/{m.name}:{n}": line.strip() for m in modules
             for n, line in enumerate(m.read_text().splitlines(), 1) if GLOBAL_OBJECT.search(line)}
    assert found == {}, "modules share state by import, not through window/globalThis"


def test_both_apps_serve_the_one_shared_file(cockpits: MakeCockpit, tmp_path: Path) -> None:  # noqa: F811
    with idle_region_app(tmp_path / "region-lake") as region:
        for name, app in {"cockpit": create_app(cockpits(), background_refresh=False), "region": region}.items():
            with TestClient(app) as client:
                for shared in SHARED.glob("*.js"):
                    r = client.get(f"/shared/{shared.name}")
                    assert r.status_code == 200 and r.content == shared.read_bytes(), name
                    assert r.headers["content-type"].startswith("text/javascript"), name  # modules need a JavaScript type
                for outside in ("..%2fassets.py", "%2e%2e/assets.py", "..%5cassets.py", "%2e%2e%2f%2e%2e%2fcockpit%2fapp.py"):
                    assert client.get(f"/shared/{outside}").status_code == 404, (name, outside)
