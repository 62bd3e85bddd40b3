"""The embedded demo's broker: kombu's filesystem transport, with each message written whole before a worker sees it.

kombu 5.7's filesystem channel creates a message's .msg file, then locks and writes it, while a worker lists the
folder, moves each .msg file away and reads it without taking the lock. A worker that lists the folder between the
two reads an empty file and dies on its JSON (seen under load during a split tile build), and the producer's bytes
go into the moved file nobody reads. Here a message is written under a name no worker takes (a leading dot and a
.part suffix: the channel only takes names whose part after the first dot is "<queue>.msg"), then renamed in one
step, which is atomic in one folder. Everything else is kombu's own.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Put `payload` onto `queue`: the same file name and bytes as kombu, appearing whole."""
        # The same name as kombu's: the milliseconds first keep the queue in the order the messages were sent.
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.part")
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
