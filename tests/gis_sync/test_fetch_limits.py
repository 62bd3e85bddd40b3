"""What a sync fetches and unpacks is bounded: download size and total time, archive size, count and paths."""

from __future__ import annotations

import http.server
import threading
import time
import zipfile

import pytest

from gis_sync.errors import FormatError, MissingFileError
from gis_sync.locations import local_path


class Delivery(http.server.BaseHTTPRequestHandler):
    """/big: 3 MB; /liar: announces 50 GB; /drip: 40 bytes, one every 0.05 s."""

    def do_GET(self) -> None:
        self.send_response(200)
        if self.path == "/liar.gpkg":
            self.send_header("Content-Length", str(50 * 10**9))
            self.end_headers()
            return
        body = b"x" * (3 * 1024 * 1024) if self.path == "/big.gpkg" else b"y" * 40
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.path == "/drip.gpkg":
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.05)
        else:
            self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Delivery)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_download_over_the_size_cap_stops_and_says_which_setting_to_raise(server, settings):
    settings.JUMEAU_SYNC_MAX_DOWNLOAD_BYTES = 1024 * 1024
    with pytest.raises(MissingFileError, match="JUMEAU_SYNC_MAX_DOWNLOAD_BYTES") as exc:
        with local_path(f"{server}/big.gpkg"):
            pass
    assert exc.value.file == "big.gpkg"


def test_a_download_announcing_too_much_is_refused_before_reading(server, settings):
    settings.JUMEAU_SYNC_MAX_DOWNLOAD_BYTES = 1024 * 1024
    with pytest.raises(MissingFileError, match="announces 50 GB"):
        with local_path(f"{server}/liar.gpkg"):
            pass


def test_a_download_that_drips_past_the_total_time_limit_stops(server, settings):
    settings.JUMEAU_SYNC_DOWNLOAD_TIMEOUT_S = 0.5
    settings.JUMEAU_SYNC_READ_TIMEOUT_S = 5.0  # each byte arrives well within it
    started = time.monotonic()
    with pytest.raises(MissingFileError, match="took over 0.5 s"):
        with local_path(f"{server}/drip.gpkg"):
            pass
    assert time.monotonic() - started < 1.5


def test_a_download_within_the_limits_is_there_for_the_block(server, settings):
    with local_path(f"{server}/big.gpkg") as path:
        assert path.stat().st_size == 3 * 1024 * 1024
    assert not path.exists()


def zip_of(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


@pytest.mark.parametrize("member", ["/etc/cron.d/x.gpkg", "..\\..\\x.gpkg", "C:/Windows/x.gpkg", "a/../../x.gpkg"])
def test_members_that_would_land_outside_the_folder_are_refused(tmp_path, member):
    with pytest.raises(FormatError, match="points outside the archive"):
        with local_path(zip_of(tmp_path / "evil.zip", {member: b"x"})):
            pass


def test_an_archive_declaring_more_than_the_cap_is_refused_before_unpacking(tmp_path, settings):
    settings.JUMEAU_SYNC_MAX_UNPACKED_BYTES = 1_000_000
    bomb = zip_of(tmp_path / "bomb.zip", {"a.gpkg": b"\0" * 2_000_000})  # about 2 kB compressed
    assert bomb.stat().st_size < 10_000
    with pytest.raises(FormatError, match="JUMEAU_SYNC_MAX_UNPACKED_BYTES") as exc:
        with local_path(bomb):
            pass
    assert exc.value.file == "bomb.zip"


def test_an_archive_of_too_many_members_is_refused(tmp_path, settings):
    settings.JUMEAU_SYNC_MAX_ARCHIVE_MEMBERS = 10
    many = zip_of(tmp_path / "many.zip", {f"f{i}.txt": b"" for i in range(11)})
    with pytest.raises(FormatError, match="11 members"):
        with local_path(many):
            pass
