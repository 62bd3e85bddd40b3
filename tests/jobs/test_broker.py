"""The embedded broker (jumeau/broker.py): a worker listing the queue folder never finds a message half written."""

from __future__ import annotations

import json
import os
import threading

from kombu import Connection


def test_a_message_appears_in_the_queue_folder_whole_and_is_received_as_sent(tmp_path):
    folder = tmp_path / "queue"
    folder.mkdir()
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder), "control_folder": str(tmp_path)}
    payload = {"rows": ["x" * 100] * 200_000}  # ~20 MB: writing it takes long enough for a reader to look meanwhile
    seen, broken, done = [], [], threading.Event()

    def worker_looking():
        # What kombu's worker does first: list the folder and take the queue's .msg files.
        while not seen and not done.wait(0):
            for name in os.listdir(folder):
                if name.partition(".")[2] == "jobs.msg":
                    text = (folder / name).read_bytes()
                    seen.append(name)
                    try:
                        json.loads(text)
                    except ValueError:
                        broken.append((name, len(text)))

    with Connection("filesystem://", transport="jumeau.broker:Transport", transport_options=options) as conn:
        queue = conn.SimpleQueue("jobs")
        looker = threading.Thread(target=worker_looking)
        looker.start()
        try:
            queue.put(payload)
            looker.join(timeout=10)  # it stops once it has read the message
        finally:
            done.set()
            looker.join()
        assert seen and not broken, broken
        assert queue.get(timeout=5).payload == payload
        queue.close()
