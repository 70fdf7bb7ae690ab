from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reelstack import settings
from reelstack.config import Config
from reelstack.gateway.app import app_settings
from reelstack.gateway.front import STATIC_OUTSIDE_ROOT
from reelstack.gateway.static import (
    APP_SETTINGS_PATH,
    CACHED_MAX_BYTES,
    IMMUTABLE,
    INDEX,
    REVALIDATE,
    AppSettings,
    StaticEndpoint,
)
from tests.unit.gateway.fakes import make_ctx


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<html>app</html>")
    (tmp_path / "assets" / "index-Bn18fLHt.js").write_text("console.log(1)")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    (tmp_path / ".secret").write_text("no")
    return tmp_path


def header(response: object, name: bytes) -> bytes | None:
    return dict(response.headers).get(name)  # type: ignore[attr-defined]


async def test_serves_index_at_root_and_for_client_side_routes(site: Path) -> None:
    endpoint = StaticEndpoint(site)
    for path in ("/", "/browse/row/3", "/title/7"):
        response = await endpoint.handle(make_ctx(path))
        assert response.status == 200, path
        assert response.body == b"<html>app</html>"
        assert header(response, b"cache-control") == REVALIDATE
        assert header(response, b"content-type") == b"text/html; charset=utf-8"


async def test_hashed_assets_are_immutable_others_revalidate(site: Path) -> None:
    endpoint = StaticEndpoint(site)
    asset = await endpoint.handle(make_ctx("/assets/index-Bn18fLHt.js"))
    assert asset.status == 200 and asset.body == b"console.log(1)"
    assert header(asset, b"cache-control") == IMMUTABLE
    assert header(asset, b"content-type") == b"text/javascript; charset=utf-8"
    icon = await endpoint.handle(make_ctx("/favicon.svg"))
    assert header(icon, b"cache-control") == REVALIDATE


async def test_missing_files_with_an_extension_are_404(site: Path) -> None:
    response = await StaticEndpoint(site).handle(make_ctx("/assets/gone-12345678.js"))
    assert response.status == 404


@pytest.mark.parametrize("path", ["/../etc/passwd", "/%2e%2e/etc/passwd", "/.secret", "/a%00b"])
async def test_refuses_paths_outside_or_hidden(site: Path, path: str) -> None:
    response = await StaticEndpoint(site).handle(make_ctx(path))
    assert response.status == 404
    assert response.body != b"no"


async def test_symlink_out_of_the_folder_is_refused(
    site: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "secret.txt"
    outside.write_text("secret")
    os.symlink(outside, site / "leak.txt")
    response = await StaticEndpoint(site).handle(make_ctx("/leak.txt"))
    assert response.status == 404


async def test_etag_revalidation_and_head(site: Path) -> None:
    endpoint = StaticEndpoint(site)
    first = await endpoint.handle(make_ctx("/favicon.svg"))
    etag = header(first, b"etag")
    assert etag is not None
    again = await endpoint.handle(make_ctx("/favicon.svg", headers=[(b"if-none-match", etag)]))
    assert again.status == 304 and again.body == b""
    head = await endpoint.handle(make_ctx("/favicon.svg", method="HEAD"))
    assert head.status == 200 and head.body == b"" and head.length == len("<svg/>")
    post = await endpoint.handle(make_ctx("/favicon.svg", method="POST"))
    assert post.status == 405


async def test_a_changed_file_is_served_fresh(site: Path) -> None:
    endpoint = StaticEndpoint(site)
    await endpoint.handle(make_ctx("/favicon.svg"))
    path = site / "favicon.svg"
    path.write_text("<svg>new</svg>")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    response = await endpoint.handle(make_ctx("/favicon.svg"))
    assert response.body == b"<svg>new</svg>"


async def test_large_files_stream(site: Path) -> None:
    data = os.urandom(CACHED_MAX_BYTES + 12345)
    (site / "big.bin").write_bytes(data)
    response = await StaticEndpoint(site).handle(make_ctx("/big.bin"))
    assert response.stream is not None and response.length == len(data)
    parts = []
    while chunk := await response.stream.read():
        parts.append(chunk)
    response.stream.close(True)
    assert b"".join(parts) == data


async def test_a_symlinked_folder_leading_out_of_the_root_is_refused(
    site: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Only the last component was checked: a folder link led anywhere.
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.txt").write_text("TOP SECRET")
    (outside / INDEX).write_text("their index")
    os.symlink(outside, site / "linked")
    endpoint = StaticEndpoint(site)
    secret = await endpoint.handle(make_ctx("/linked/secret.txt"))
    assert secret.status == 404 and b"TOP SECRET" not in secret.body
    # No extension: a client-side route, so the app's own index, never theirs.
    folder = await endpoint.handle(make_ctx("/linked"))
    assert folder.status == 200 and folder.body == (site / INDEX).read_bytes()
    assert endpoint.refusals.counts[STATIC_OUTSIDE_ROOT] >= 2


async def test_a_symlink_that_stays_inside_the_root_is_served(site: Path) -> None:
    (site / "real").mkdir()
    (site / "real" / "page.txt").write_text("inside")
    os.symlink(site / "real", site / "alias")
    response = await StaticEndpoint(site).handle(make_ctx("/alias/page.txt"))
    assert (response.status, response.body) == (200, b"inside")


async def test_app_settings_say_nothing_of_a_picker_by_default(site: Path) -> None:
    response = await StaticEndpoint(site).handle(make_ctx(APP_SETTINGS_PATH))
    assert response.status == 200
    assert json.loads(response.body) == {"regionPicker": False, "region": "", "regions": []}
    assert header(response, b"cache-control") == b"no-store"


async def test_app_settings_offer_the_demo_regions(site: Path) -> None:
    settings = AppSettings(region_picker=True, region="US", regions=("EU", "US"))
    endpoint = StaticEndpoint(site, app_settings=settings)
    response = await endpoint.handle(make_ctx(APP_SETTINGS_PATH))
    assert json.loads(response.body) == {
        "regionPicker": True,
        "region": "US",
        "regions": ["EU", "US"],
    }
    # A file of that name in the folder is never served in its place.
    (site / "app-settings.json").write_text('{"regionPicker": true}')
    again = await StaticEndpoint(site).handle(make_ctx(APP_SETTINGS_PATH))
    assert json.loads(again.body)["regionPicker"] is False


def test_the_gateway_offers_a_picker_only_where_clients_may_name_a_region() -> None:
    assert app_settings(Config.load(settings.REGISTRY, environ={})).region_picker is False
    demo = app_settings(
        Config.load(
            settings.REGISTRY,
            environ={
                "REELSTACK_GATEWAY_REGION_FROM_CLIENT": "true",
                "REELSTACK_GATEWAY_REGION_NETWORKS": "10.0.0.0/8=DE",
            },
        )
    )
    assert demo.region_picker is True
    assert "DE" in demo.regions and demo.region in demo.regions
