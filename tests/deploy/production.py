"""The shipped production files, read as the deployment reads them: env.example, the nginx template, compose."""

from __future__ import annotations

import re
import string

import yaml

from tests.conftest import ROOT

DOCKER = ROOT / "docker"
ENV_EXAMPLE = DOCKER / "env.example"
NGINX_TEMPLATE = DOCKER / "nginx.conf.template"
COMPOSE = DOCKER / "compose.yaml"
# The nginx image substitutes only these (NGINX_ENVSUBST_FILTER in compose.yaml); nginx's own $vars stay.
TEMPLATE_PREFIX = "JUMEAU_"


def env_example() -> dict[str, str]:
    """docker/env.example as a dict, as `docker compose` reads its env_file (KEY=VALUE, # comments)."""
    values: dict[str, str] = {}
    for number, line in enumerate(ENV_EXAMPLE.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ValueError(f"{ENV_EXAMPLE}:{number}: {line!r} is not KEY=VALUE.")
        values[key.strip()] = value.strip()
    return values


def render_nginx_template(values: dict[str, str]) -> str:
    """docker/nginx.conf.template with its ${JUMEAU_*} filled in, the way the nginx image's envsubst does."""
    text = NGINX_TEMPLATE.read_text()
    ours = {k: v for k, v in values.items() if k.startswith(TEMPLATE_PREFIX)}
    rendered = string.Template(text).safe_substitute(ours)
    left = sorted(set(re.findall(r"\$\{?(" + TEMPLATE_PREFIX + r"\w+)", rendered)))
    if left:
        raise ValueError(
            f"{NGINX_TEMPLATE} uses {', '.join(left)}: give them a value in {ENV_EXAMPLE} "
            "and in the nginx service's environment in compose.yaml."
        )
    return rendered


def replace_exactly(text: str, old: str, new: str, count: int, *, what: str) -> str:
    """Swap a production value for the test's, failing loudly when the template no longer has it."""
    found = text.count(old)
    if found != count:
        raise ValueError(
            f"{NGINX_TEMPLATE}: expected {count} x {old!r} ({what}), found {found}: "
            "update the substitutions in tests/deploy/conftest.py with the template."
        )
    return text.replace(old, new)


def app_command(host: str, port: int) -> list[str]:
    """The `app` service's uvicorn command from compose.yaml, on our address and with one worker.

    One worker because the test app caches in process memory (the throttle counts); every other flag
    (--proxy-headers, --forwarded-allow-ips, the websocket settings) is the shipped one.
    """
    command = list(yaml.safe_load(COMPOSE.read_text())["services"]["app"]["command"])
    for flag, value in (("--host", host), ("--port", str(port)), ("--workers", "1")):
        if flag not in command:
            raise ValueError(f"{COMPOSE}: the app command has no {flag}; update tests/deploy/production.py.")
        command[command.index(flag) + 1] = value
    if command[0] != "uvicorn":
        raise ValueError(f"{COMPOSE}: the app command no longer starts uvicorn; update tests/deploy/production.py.")
    return command
