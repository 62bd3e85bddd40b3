"""Load benchmark: 5,000 websocket clients on /ws/transit/ (uvicorn + Channels + the hub) against a bare
`websockets` server.

Both servers run, one after the other, the same fan-out under the same
publisher: every vehicle in one frame every 5 s to every client (the
"vehicles" topic), and STOP_TOPICS stop boards each changing every 15 s, one
stop per client. Frames carry the publish instant (``published_at``, ms) and
a per-topic ``seq``, so the load clients measure publish→receipt latency and
count lost messages (gaps, and the tail after the last received seq).

Everything runs on 127.0.0.1 in subprocesses: the server under test
(`jumeau.asgi.application` under uvicorn with the settings `serve_demo` uses),
the bare server, and two load-client processes. Each phase: handshakes
ramped at RAMP_PER_S, STEADY_S of steady load, a short drain; every child has
a deadline.

By default the server under test runs embedded, as in `make demo`: the
in-memory hub, frames handed to it in-process. With ``--redis-url`` (default:
$REDIS_URL) it runs as in production: every change goes through
``RedisPublisher`` (a Redis hash and a PUBLISH) and comes back through the
process's one ``RedisBridge`` subscription before the fan-out, so latency
includes the Redis round trip. Writes bench/results/realtime.json
(realtime-redis.json with Redis).

The machine is shared, and the load of other jobs drifts over minutes: the
table shows the load average during each server's steady phases, and
``--rounds 2`` runs ours, bare, bare, ours so that a drift weighs on both.

    .venv/bin/python bench/realtime.py [--clients 5000] [--steady 120] [--rounds 2]
        [--redis-url redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import inspect
import json
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "realtime.json"
PY = sys.executable

VEHICLES = 60
STOP_TOPICS = 300
VEHICLE_PERIOD_S = 5.0
STOP_PERIOD_S = 15.0
RAMP_PER_S = 500
CLIENT_PROCESSES = 2
HANDSHAKE_TIMEOUT_S = 20.0
DRAIN_S = 6.0


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 65536
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the load: the same frames for both servers ----------------------------------------


class Load:
    """Realistic transit frames, serialised once per publish, with per-topic seq numbers."""

    def __init__(self, seed: int = 3) -> None:
        self.rng = random.Random(seed)
        self.seq: dict[str, int] = {}
        self.state: dict[str, tuple[int, str]] = {}
        self.vehicles = [
            {
                "id": f"envibus-{100 + k}",
                "trip": f"{k % 6 + 1}_SEMAINE_{k % 2}_{k:03d}",
                "route": str(k % 6 + 1),
                "label": str(k % 6 + 1),
                "color": "E2001A",
                "lon": 7.10 + self.rng.random() * 0.04,
                "lat": 43.55 + self.rng.random() * 0.05,
                "bearing": 0.0,
                "speed": 5.0,
                "status": "IN_TRANSIT_TO",
                "stop": f"S{k:03d}",
                "t": 0,
                "path": None,
            }
            for k in range(VEHICLES)
        ]

    def _frame(self, topic: str, body: dict, state: dict) -> tuple[str, int, str, str]:
        seq = self.seq.get(topic, 0) + 1
        self.seq[topic] = seq
        now = time.time()
        head = {"topic": topic, "seq": seq, "feed_timestamp": int(now), "published_at": round(now * 1000, 3)}
        frame = json.dumps({**head, **body}, separators=(",", ":"))
        state_text = json.dumps({"seq": seq, "feed_timestamp": int(now), **state}, separators=(",", ":"))
        self.state[topic] = (seq, state_text)
        return topic, seq, frame, state_text

    def vehicles_frame(self) -> tuple[str, int, str, str]:
        now = int(time.time())
        for v in self.vehicles:
            lon, lat = v["lon"], v["lat"]
            v["lon"] = round(lon + self.rng.uniform(-3e-4, 3e-4), 6)
            v["lat"] = round(lat + self.rng.uniform(-3e-4, 3e-4), 6)
            v["bearing"] = round(self.rng.uniform(0, 360), 1)
            v["t"] = now
            v["path"] = [
                [round(lon, 6), round(lat, 6)],
                [round((lon + v["lon"]) / 2, 6), round(lat, 6)],
                [v["lon"], v["lat"]],
            ]
        return self._frame(
            "vehicles", {"type": "vehicles", "vehicles": self.vehicles, "removed": []}, {"vehicles": self.vehicles}
        )

    def stop_frame(self, k: int) -> tuple[str, int, str, str]:
        now = int(time.time())
        rows = [
            {
                "trip": f"{r % 6 + 1}_SEMAINE_0_{r:03d}",
                "route": str(r % 6 + 1),
                "line": str(r % 6 + 1),
                "color": "0072BB",
                "text_color": "FFFFFF",
                "headsign": "Juan-les-Pins Pinède",
                "stop": f"S{k:03d}",
                "scheduled": now + 120 * r,
                "expected": now + 120 * r + self.rng.randint(0, 180),
                "delay": self.rng.randint(0, 180),
                "realtime": True,
            }
            for r in range(8)
        ]
        return self._frame(
            f"stop:S{k:03d}", {"type": "departures", "stop": f"S{k:03d}", "departures": rows}, {"departures": rows}
        )


async def _done(result) -> None:
    if inspect.isawaitable(result):
        await result


async def drive(load: Load, publish, stop_at: float, seq_file: Path) -> None:
    """Publish vehicles every VEHICLE_PERIOD_S and each stop every STOP_PERIOD_S (spread), until ``stop_at``."""
    start = time.monotonic()
    next_vehicles = start
    k = 0
    while time.monotonic() < stop_at:
        now = time.monotonic()
        if now >= next_vehicles:
            await _done(publish(*load.vehicles_frame()))
            next_vehicles += VEHICLE_PERIOD_S
        # Stops fall due by the clock, not by loop turns: a server whose loop lags must not be given less to send.
        while k < int((now - start) * STOP_TOPICS / STOP_PERIOD_S):
            await _done(publish(*load.stop_frame(k % STOP_TOPICS)))
            k += 1
        await asyncio.sleep(0.1)
    seq_file.write_text(json.dumps(load.seq))


# --- servers ---------------------------------------------------------------------------


def run_channels_server(port: int, publish_from: float, stop_at: float, seq_file: Path, redis_url: str = "") -> None:
    """uvicorn serving jumeau.asgi.application with serve_demo's settings, the load published like the feed worker does.

    Embedded (no ``redis_url``): frames go to the in-process hub, as with
    serve_demo's worker. Redis: through ``RedisPublisher`` and back through
    this process's Redis subscription, as with a separate worker process.
    """
    os.environ.pop("REDIS_URL", None)
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jumeau.settings")
    sys.path.insert(0, str(ROOT))
    import uvicorn

    async def main() -> None:
        from django.conf import settings

        from realtime.asgi_server import uvicorn_config
        from realtime.hub import Change, LocalPublisher, RedisPublisher, hub, redis_client, state_key

        config = uvicorn_config("jumeau.asgi:application", "127.0.0.1", port, log_level="error")
        server = uvicorn.Server(config)
        config.load()
        from realtime import gc_pacing

        if gc_pacing.suited():  # as serve_demo and jumeau.asgi decide; JUMEAU_GC_PACING=0/1 forces
            gc_pacing.install()
        if redis_url:
            # A bench must not touch a running twin's keys on the same Redis.
            settings.REALTIME_REDIS_PREFIX = f"jumeau:bench:{os.getpid()}:"
            await hub.ready()
        publisher = RedisPublisher() if redis_url else LocalPublisher()
        load = Load()

        deliver = hub.deliver

        def timed_deliver(topic: str, seq: int, frame: str) -> None:
            started = time.perf_counter()
            deliver(topic, seq, frame)
            if topic == "vehicles":
                n = hub.subscriber_count(topic)
                print(
                    f"fan-out of vehicles to {n}: {(time.perf_counter() - started) * 1000:.1f} ms",
                    file=sys.stderr,
                    flush=True,
                )

        hub.deliver = timed_deliver  # type: ignore[method-assign]

        # Changes written through the ASGI send (transport paused, compression) rather than straight to the socket.
        from realtime.consumers import TransitConsumer

        through_asgi = [0]
        consumer_send = TransitConsumer.send

        async def counted_send(self, text_data=None, bytes_data=None, close=False) -> None:
            if text_data is not None and not text_data.startswith('{"type":"snapshot"'):
                through_asgi[0] += 1
            await consumer_send(self, text_data=text_data, bytes_data=bytes_data, close=close)

        TransitConsumer.send = counted_send  # type: ignore[method-assign]

        gc_started = [0.0]

        def gc_log(phase: str, info: dict) -> None:
            if info["generation"] != 2:
                return
            if phase == "start":
                gc_started[0] = time.perf_counter()
            else:
                print(f"gc gen2: {(time.perf_counter() - gc_started[0]) * 1000:.1f} ms", file=sys.stderr, flush=True)

        gc.callbacks.append(gc_log)

        async def lag_watch() -> None:
            while True:
                t = time.perf_counter()
                await asyncio.sleep(0.01)
                lag = time.perf_counter() - t - 0.01
                if lag > 0.1:
                    print(f"loop lag: {lag * 1000:.0f} ms", file=sys.stderr, flush=True)

        watcher = asyncio.create_task(lag_watch())  # noqa: F841  (a reference keeps the task from being collected)

        def publish(topic: str, seq: int, frame: str, state: str):
            return publisher.publish([Change(topic, seq, frame, state)])

        # Every topic has a state before the first client subscribes, as with a running worker.
        await publish(*load.vehicles_frame())
        for k in range(STOP_TOPICS):
            await publish(*load.stop_frame(k))

        async def later() -> None:
            await asyncio.sleep(max(0.0, publish_from - time.time()))
            await drive(load, publish, time.monotonic() + (stop_at - time.time()), seq_file)
            await asyncio.sleep(DRAIN_S + 30)
            server.should_exit = True

        task = asyncio.create_task(later())
        await server.serve()
        task.cancel()
        print(f"frames sent through ASGI instead of the direct write: {through_asgi[0]}", file=sys.stderr, flush=True)
        if redis_url:
            await redis_client().delete(state_key())

    asyncio.run(main())


def run_bare_server(port: int, publish_from: float, stop_at: float, seq_file: Path) -> None:
    """The peer: a plain `websockets` server, same subscribe message, same frames, websockets.broadcast fan-out."""
    from websockets.asyncio.server import broadcast, serve

    async def main() -> None:
        load = Load()
        subs: dict[str, set] = {}

        def publish(topic: str, seq: int, frame: str, state: str) -> None:
            started = time.perf_counter()
            broadcast(subs.get(topic, ()), frame)
            if topic == "vehicles":
                n = len(subs.get(topic, ()))
                print(
                    f"fan-out of vehicles to {n}: {(time.perf_counter() - started) * 1000:.1f} ms",
                    file=sys.stderr,
                    flush=True,
                )

        publish(*load.vehicles_frame())
        for k in range(STOP_TOPICS):
            publish(*load.stop_frame(k))

        async def handler(ws) -> None:
            topics: set[str] = set()
            try:
                async for raw in ws:
                    message = json.loads(raw)
                    if message.get("type") != "subscribe":
                        continue
                    for topic in topics:
                        subs.get(topic, set()).discard(ws)
                    topics = {"status", "vehicles" if "*" in message.get("routes", []) else ""} - {""}
                    topics |= {f"stop:{s}" for s in message.get("stops", [])}
                    for topic in topics:
                        subs.setdefault(topic, set()).add(ws)
                    states = {t: load.state[t] for t in topics if t in load.state}
                    snapshot = {
                        "type": "snapshot",
                        "topics": {t: s[0] for t, s in states.items()},
                        "states": {t: json.loads(s[1]) for t, s in states.items()},
                    }
                    await ws.send(json.dumps(snapshot, separators=(",", ":")))
            finally:
                for topic in topics:
                    subs.get(topic, set()).discard(ws)

        async with serve(handler, "127.0.0.1", port, compression=None, max_size=64 * 1024, backlog=4096) as server:
            await asyncio.sleep(max(0.0, publish_from - time.time()))
            await drive(load, publish, time.monotonic() + (stop_at - time.time()), seq_file)
            await asyncio.sleep(DRAIN_S + 30)
            server.close()

    asyncio.run(main())


# --- load clients ----------------------------------------------------------------------


def run_clients(url: str, first: int, count: int, ramp_per_s: float, end_at: float, out: Path) -> None:
    """``count`` clients, connected at ``ramp_per_s``; each records latencies and seq gaps until ``end_at``."""
    import numpy as np
    from websockets.asyncio.client import connect

    raise_fd_limit()
    # The instrument must not pause on its own: a full collection in a load client (2,500 sockets each) stops its
    # reading for a few hundred ms, and the frames it reads next count that as the server's latency. Seen as one
    # client's first frames at 590 ms while the other's stayed under 200; with the collector on in the clients the
    # p99 ratio gave 1.41, 1.13 and 2.36 in three runs of one hour, off 0.87 and 1.07 (same server code). What a
    # client makes in 2.5 minutes is freed by reference counts; its peak memory is reported (418 MB).
    gc.disable()
    latencies: list[float] = []
    received = [0]
    failures: list[str] = []
    last: dict[tuple[int, str], int] = {}
    gaps = [0]
    kinds: list[bool] = []

    async def client(n: int) -> None:
        topic_stop = f"S{n % STOP_TOPICS:03d}"
        try:
            ws = await asyncio.wait_for(
                connect(
                    url,
                    origin="http://127.0.0.1",
                    compression=None,
                    max_size=1 << 20,
                    open_timeout=HANDSHAKE_TIMEOUT_S,
                    ping_interval=None,
                    max_queue=None,
                ),
                HANDSHAKE_TIMEOUT_S,
            )
        except Exception as exc:  # noqa: BLE001 - every failure of a client is counted, whatever it is
            failures.append(f"connect: {type(exc).__name__}: {exc}"[:200])
            return
        try:
            await ws.send(json.dumps({"type": "subscribe", "routes": ["*"], "stops": [topic_stop]}))
            snapshot = json.loads(await asyncio.wait_for(ws.recv(), HANDSHAKE_TIMEOUT_S))
            for topic, seq in snapshot["topics"].items():
                last[(n, topic)] = seq
            # One deadline for the whole receive loop: a wait_for per frame would cost a task per message.
            loop = asyncio.get_running_loop()
            try:
                async with asyncio.timeout_at(loop.time() + max(0.0, end_at - time.time())):
                    async for frame in ws:
                        now = time.time() * 1000
                        head = frame[:160]  # topic, seq and published_at lead every frame: no need to parse 9 KB
                        i = head.index('"published_at":') + 15
                        published = float(head[i : head.index(",", i)])
                        t0 = head.index('"topic":"') + 9
                        topic = head[t0 : head.index('"', t0)]
                        s0 = head.index('"seq":') + 6
                        seq = int(head[s0 : head.index(",", s0)])
                        key = (n, topic)
                        previous = last.get(key)
                        if previous is not None and seq > previous + 1:
                            gaps[0] += seq - previous - 1
                        if previous is None or seq > previous:
                            last[key] = seq
                        latencies.append(now - published)
                        kinds.append(topic == "vehicles")
                        received[0] += 1
            except TimeoutError:
                pass
        except Exception as exc:  # noqa: BLE001
            if not snapshot_ok(last, n):
                failures.append(f"subscribe: {type(exc).__name__}: {exc}"[:200])
        finally:
            await ws.close()

    def snapshot_ok(seen: dict, n: int) -> bool:
        return (n, "vehicles") in seen

    async def main() -> None:
        tasks = []
        start = time.monotonic()
        for k in range(count):
            delay = start + k / ramp_per_s - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(client(first + k)))
        await asyncio.gather(*tasks)

    started = time.time()
    asyncio.run(main())
    np.save(out.with_suffix(".npy"), np.asarray(latencies, dtype=np.float32))
    np.save(out.with_suffix(".kinds.npy"), np.asarray(kinds, dtype=bool))
    out.write_text(
        json.dumps(
            {
                "received": received[0],
                "gaps": gaps[0],
                "failures": len(failures),
                "failure_samples": failures[:5],
                "last": {f"{n}|{t}": s for (n, t), s in last.items()},
                "seconds": time.time() - started,
                "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }
        )
    )


# --- orchestration ---------------------------------------------------------------------


def phase(name: str, role: str, clients: int, steady_s: float, workdir: Path, redis_url: str = "") -> dict:
    import numpy as np
    import psutil

    port = free_port()
    ramp_s = clients / RAMP_PER_S
    t0 = time.time() + 8.0  # the server imports Django, then the ramp starts
    publish_from = t0 + ramp_s + 2.0
    stop_at = publish_from + steady_s
    end_at = stop_at + DRAIN_S
    seq_file = workdir / f"{name}-seq.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("REDIS_URL", None)
    server = subprocess.Popen(
        [
            PY,
            __file__,
            "--role",
            role,
            "--port",
            str(port),
            "--publish-from",
            str(publish_from),
            "--stop-at",
            str(stop_at),
            "--seq-file",
            str(seq_file),
            "--redis-url",
            redis_url,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / f"{name}-server.log", "w"),
    )
    deadline = time.time() + 60
    while True:  # the port answers once the server is up
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if server.poll() is not None or time.time() > deadline:
                raise RuntimeError(
                    f"{name} server did not start: {(workdir / f'{name}-server.log').read_text()[-2000:]}"
                ) from None
            time.sleep(0.2)
    time.sleep(max(0.0, t0 - time.time()))
    url = f"ws://127.0.0.1:{port}/ws/transit/"
    per = clients // CLIENT_PROCESSES
    loaders = []
    for i in range(CLIENT_PROCESSES):
        n = per if i < CLIENT_PROCESSES - 1 else clients - per * (CLIENT_PROCESSES - 1)
        out = workdir / f"{name}-clients-{i}.json"
        loaders.append(
            (
                out,
                subprocess.Popen(
                    [
                        PY,
                        __file__,
                        "--role",
                        "clients",
                        "--url",
                        url,
                        "--first",
                        str(i * per),
                        "--count",
                        str(n),
                        "--ramp",
                        str(RAMP_PER_S / CLIENT_PROCESSES),
                        "--end-at",
                        str(end_at),
                        "--out",
                        str(out),
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=open(workdir / f"{name}-clients-{i}.log", "w"),
                ),
            )
        )
    proc = psutil.Process(server.pid)
    proc.cpu_percent(None)
    cpu, rss, load = [], [], []
    while time.time() < end_at + 5 and any(p.poll() is None for _, p in loaders):
        time.sleep(1.0)
        try:
            c, r = proc.cpu_percent(None), proc.memory_info().rss
        except psutil.Error:
            break
        if publish_from <= time.time() <= stop_at:
            cpu.append(c)
            rss.append(r)
            load.append(os.getloadavg()[0])
    for _, p in loaders:
        try:
            p.wait(timeout=max(5.0, end_at + HANDSHAKE_TIMEOUT_S + 30 - time.time()))
        except subprocess.TimeoutExpired:
            p.kill()
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
    published = json.loads(seq_file.read_text()) if seq_file.is_file() else {}
    received = gaps = failures = 0
    tail = 0
    samples: list[str] = []
    lat, kinds = [], []
    for out, _ in loaders:
        if not out.is_file():
            raise RuntimeError(f"{name}: a load client died: {out.with_suffix('.log')}")
        data = json.loads(out.read_text())
        received += data["received"]
        gaps += data["gaps"]
        failures += data["failures"]
        samples += data["failure_samples"]
        for key, seq in data["last"].items():
            topic = key.split("|", 1)[1]
            if topic in published:
                tail += max(0, published[topic] - seq)  # published but never seen by this client
        lat.append(np.load(out.with_suffix(".npy")))
        kinds.append(np.load(out.with_suffix(".kinds.npy")))
    # The server logs how long each vehicles fan-out took (publish to last socket write) at full subscription.
    fanouts = [
        float(line.rsplit(":", 1)[1].split()[0])
        for line in (workdir / f"{name}-server.log").read_text().splitlines()
        if line.startswith(f"fan-out of vehicles to {clients}:")
    ]
    return {
        "clients": clients,
        "failures": failures,
        "samples": samples,
        "received": received,
        "lost": gaps + tail,
        "latency": lat,
        "kinds": kinds,
        "fanouts": fanouts,
        "cpu": cpu,
        "rss": rss,
        "load": load,
        "steady_s": steady_s,
    }


def summary(runs: list[dict]) -> dict:
    """The figures of one server over all its phases, latencies pooled."""
    import numpy as np

    latency = np.concatenate([a for r in runs for a in r["latency"]]) if runs else np.zeros(0)
    is_vehicles = np.concatenate([k for r in runs for k in r["kinds"]]) if runs else np.zeros(0, dtype=bool)
    fanouts = [f for r in runs for f in r["fanouts"]]
    cpu = [c for r in runs for c in r["cpu"]]
    rss = [m for r in runs for m in r["rss"]]
    load = [x for r in runs for x in r["load"]]
    received = sum(r["received"] for r in runs)
    steady_s = sum(r["steady_s"] for r in runs)
    return {
        "clients": runs[0]["clients"],
        "phases": len(runs),
        "handshake_failures": sum(r["failures"] for r in runs),
        "failure_samples": [x for r in runs for x in r["samples"]][:3],
        "delivered": received,
        "lost": sum(r["lost"] for r in runs),
        "p50_ms": round(float(np.percentile(latency, 50)), 1) if len(latency) else None,
        "p95_ms": round(float(np.percentile(latency, 95)), 1) if len(latency) else None,
        "p99_ms": round(float(np.percentile(latency, 99)), 1) if len(latency) else None,
        "vehicles_p99_ms": round(float(np.percentile(latency[is_vehicles], 99)), 1) if is_vehicles.any() else None,
        "stops_p99_ms": round(float(np.percentile(latency[~is_vehicles], 99)), 1) if (~is_vehicles).any() else None,
        "msgs_per_s": round(received / (steady_s + DRAIN_S * len(runs)), 1),
        "vehicles_fanout_ms_p50": round(float(np.median(fanouts)), 1) if fanouts else None,
        "server_cpu_pct": round(sum(cpu) / len(cpu), 1) if cpu else None,
        "server_rss_mb": round(max(rss) / 2**20, 1) if rss else None,
        "machine_load_1min": round(sum(load) / len(load), 2) if load else None,
        "steady_s": steady_s,
    }


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--role", default="bench", choices=["bench", "channels", "bare", "clients"])
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--steady", type=float, default=120.0, help="seconds of steady load per phase")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="1: ours then bare; 2: ours, bare, bare, ours (ABBA: a machine whose other load drifts "
        "during the run weighs on both alike); latencies pooled per server",
    )
    parser.add_argument(
        "--redis-url",
        default=os.getenv("REDIS_URL", ""),
        help="run the server under test on Redis (RedisPublisher + RedisBridge); default $REDIS_URL",
    )
    parser.add_argument("--port", type=int)
    parser.add_argument("--publish-from", type=float)
    parser.add_argument("--stop-at", type=float)
    parser.add_argument("--seq-file", type=Path)
    parser.add_argument("--url")
    parser.add_argument("--first", type=int)
    parser.add_argument("--count", type=int)
    parser.add_argument("--ramp", type=float)
    parser.add_argument("--end-at", type=float)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    raise_fd_limit()
    if args.role == "channels":
        run_channels_server(args.port, args.publish_from, args.stop_at, args.seq_file, args.redis_url)
        return {}
    if args.role == "bare":
        run_bare_server(args.port, args.publish_from, args.stop_at, args.seq_file)
        return {}
    if args.role == "clients":
        run_clients(args.url, args.first, args.count, args.ramp, args.end_at, args.out)
        return {}
    fds = raise_fd_limit()
    if fds < args.clients * 2 + 100:
        print(f"warning: only {fds} file descriptors per process")
    workdir = Path(tempfile.mkdtemp(prefix="jumeau-bench-realtime-"))
    print(f"logs in {workdir}")
    print(
        f"{args.clients} clients, handshakes at {RAMP_PER_S}/s, {args.steady:.0f} s steady load: "
        f"{VEHICLES} vehicles every {VEHICLE_PERIOD_S:g} s to every client, "
        f"{STOP_TOPICS} stop topics every {STOP_PERIOD_S:g} s"
    )
    mode = f"Redis ({args.redis_url})" if args.redis_url else "embedded (in-memory hub)"
    print(f"server under test: uvicorn + Channels, {mode}")
    order = ["channels", "bare", "bare", "channels"] if args.rounds >= 2 else ["channels", "bare"]
    runs: dict[str, list[dict]] = {"channels": [], "bare": []}
    for i, role in enumerate(order):
        runs[role].append(
            phase(f"{role}-{i}", role, args.clients, args.steady, workdir, args.redis_url if role == "channels" else "")
        )
    ours, bare = summary(runs["channels"]), summary(runs["bare"])
    rows = [
        ("server", "hs fail", "delivered", "lost", "p50 ms", "p95 ms", "p99 ms", "msg/s", "CPU %", "RSS MB", "load")
    ]
    for label, r in (("uvicorn+hub" + (" (Redis)" if args.redis_url else ""), ours), ("bare websockets", bare)):
        rows.append(
            (
                label,
                r["handshake_failures"],
                r["delivered"],
                r["lost"],
                r["p50_ms"],
                r["p95_ms"],
                r["p99_ms"],
                r["msgs_per_s"],
                r["server_cpu_pct"],
                r["server_rss_mb"],
                r["machine_load_1min"],
            )
        )
    for row in rows:
        print(f"{row[0]:<22}" + "".join(f"{str(v):>11}" for v in row[1:]))
    print(f"phases: {' '.join(order)}; load = the machine's 1-min load average during steady load (2 cores, shared)")
    ratio = (ours["p99_ms"] / bare["p99_ms"]) if ours["p99_ms"] and bare["p99_ms"] else None
    print(f"p99 ratio (ours / bare): {ratio:.2f} (target <= 1.5)" if ratio else "p99 ratio: n/a")
    print(
        f"server time to write one vehicles frame to all {args.clients} sockets (median): "
        f"ours {ours['vehicles_fanout_ms_p50']} ms, bare {bare['vehicles_fanout_ms_p50']} ms"
    )
    print(
        f"p99 by frame: vehicles {ours['vehicles_p99_ms']} ms vs bare {bare['vehicles_p99_ms']} ms; "
        f"stop boards {ours['stops_p99_ms']} ms vs bare {bare['stops_p99_ms']} ms"
    )
    for label, r in (("ours", ours), ("bare", bare)):
        if r["failure_samples"]:
            print(f"{label} failures, e.g.: {r['failure_samples']}")
    result = {
        "clients": args.clients,
        "handshake_failures": ours["handshake_failures"],
        "lost": ours["lost"],
        "p99_ms": ours["p99_ms"],
        "bare_p99_ms": bare["p99_ms"],
        "msgs_per_s": ours["msgs_per_s"],
        "server_rss_mb": ours["server_rss_mb"],
        "p99_ratio": round(ratio, 2) if ratio else None,
        "mode": "redis" if args.redis_url else "embedded",
        "ours": ours,
        "bare": bare,
        "phases": order,
        "load": {
            "vehicles": VEHICLES,
            "vehicle_period_s": VEHICLE_PERIOD_S,
            "stop_topics": STOP_TOPICS,
            "stop_period_s": STOP_PERIOD_S,
            "ramp_per_s": RAMP_PER_S,
            "client_processes": CLIENT_PROCESSES,
        },
    }
    results = RESULTS.with_name("realtime-redis.json") if args.redis_url else RESULTS
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
