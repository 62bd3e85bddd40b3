"""Transit frames encoded once as websocket bytes, the same for every socket."""

from __future__ import annotations

import pytest
from websockets.frames import Frame
from websockets.streams import StreamReader

from realtime.wire import text_frame


def test_a_text_frame_is_final_unmasked_and_sized_for_its_length():
    assert text_frame("hé") == b"\x81\x03h\xc3\xa9"
    medium = text_frame("x" * 300)
    assert medium[:4] == b"\x81\x7e\x01\x2c" and len(medium) == 4 + 300
    large = text_frame("x" * 70_000)
    assert large[:2] == b"\x81\x7f" and int.from_bytes(large[2:10], "big") == 70_000


def test_a_client_reads_the_frame_back_as_the_text_sent():
    reader = StreamReader()
    reader.feed_data(text_frame('{"type":"vehicles","é":"ü"}'))
    parser = Frame.parse(reader.read_exact, mask=False)
    with pytest.raises(StopIteration) as done:
        next(parser)
    frame = done.value.value
    assert frame.data.decode() == '{"type":"vehicles","é":"ü"}' and frame.fin
