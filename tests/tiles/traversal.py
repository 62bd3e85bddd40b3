"""The URL spellings an attacker tries to reach one tile layer's files through another's URL.

Each is a raw request path, percent-encoding as sent on the wire, to be filled by `attack_urls`. The Django tests
send them to the view; a test through nginx can send the same strings (raw, without normalising them).
"""

from __future__ import annotations

from typing import NamedTuple


class Attack(NamedTuple):
    name: str
    template: str  # {layer}: the layer in the URL; {own}: its published version;
    # {victim}: the protected layer; {version}: the victim's published version; {root}: the tiles folder.


ATTACKS = [
    # "@" then a version: the version segment is the one the server once trusted.
    Attack("dotdot-version", "/tiles/{layer}/@../{victim}/{version}/t/0.glb"),
    Attack("dotdot-version-to-pointer", "/tiles/{layer}/@../../{victim}/tileset.json"),
    Attack("dotdot-encoded-slash", "/tiles/{layer}/@..%2F{victim}%2F{version}%2Ft%2F0.glb"),
    Attack("dotdot-encoded-slash-to-pointer", "/tiles/{layer}/@..%2F..%2F{victim}%2Ftileset.json"),
    Attack("encoded-dots", "/tiles/{layer}/@%2e%2e/{victim}/{version}/t/0.glb"),
    Attack("encoded-dots-and-slashes", "/tiles/{layer}/@%2E%2E%2F%2E%2E%2F{victim}%2Ftileset.json"),
    Attack("double-encoded", "/tiles/{layer}/@%252e%252e%252f{victim}%252f{version}%252ft%252f0.glb"),
    Attack("double-encoded-unversioned", "/tiles/{layer}/%252e%252e/%252e%252e/%252e%252e/{victim}/tileset.json"),
    Attack("encoded-backslash", "/tiles/{layer}/@..%5c{victim}%5c{version}%5ctileset.json"),
    Attack("encoded-backslash-after-version", "/tiles/{layer}/@{own}/..%5c..%5c{victim}%5c{version}%5ctileset.json"),
    Attack("literal-backslash", "/tiles/{layer}/@..\\{victim}\\{version}\\tileset.json"),
    Attack("absolute-version", "/tiles/{layer}/@/etc/passwd"),
    Attack("absolute-path", "/tiles/{layer}//etc/passwd"),
    Attack("absolute-path-to-victim", "/tiles/{layer}/{root}/{victim}/tileset.json"),
    Attack("absolute-after-version", "/tiles/{layer}/@{own}/{root}/.builds/{victim}/{version}/tileset.json"),
    Attack("dot-version", "/tiles/{layer}/@./tileset.json"),
    Attack("empty-version", "/tiles/{layer}/@/tileset.json"),
    Attack("bare-at", "/tiles/{layer}/@"),
    Attack("nul-in-version", "/tiles/{layer}/@{own}%00/../../{victim}/{version}/tileset.json"),
    Attack("nul-in-file", "/tiles/{layer}/@{own}/tileset.json%00../../../{victim}/{version}/tileset.json"),
    Attack("escape-after-version", "/tiles/{layer}/@{own}/../../{victim}/{version}/t/0.glb"),
    Attack("escape-after-version-encoded", "/tiles/{layer}/@{own}/..%2F..%2F{victim}%2F{version}%2Ft%2F0.glb"),
    Attack("victim-version-in-own-layer", "/tiles/{layer}/@{version}/tileset.json"),
    # Without "@": the path under the published pointer.
    Attack("dotdot-unversioned", "/tiles/{layer}/../../../{victim}/tileset.json"),
    Attack("encoded-dots-unversioned", "/tiles/{layer}/%2e%2e/%2e%2e/%2e%2e/{victim}/tileset.json"),
    Attack("dot-segments", "/tiles/{layer}/./t/./../../../../{victim}/tileset.json"),
    # The layer segment itself.
    Attack("layer-then-escape", "/tiles/{layer}%2F..%2F{victim}/tileset.json"),
    Attack("builds-folder-as-layer", "/tiles/.builds/{victim}/{version}/tileset.json"),
    Attack("dotdot-layer", "/tiles/%2e%2e/{victim}/tileset.json"),
    Attack("nul-in-layer", "/tiles/{victim}%00/tileset.json"),
]


def attack_url(attack: Attack, *, layer: str, own: str, victim: str, version: str, root: str) -> str:
    """The request path of `attack` on `layer` (published as `own`) aimed at `victim` (published as `version`).

    `root` is the absolute tiles folder, leading slash included, so that "{layer}/{root}" reads as "layer//…".
    """
    return attack.template.format(layer=layer, own=own, victim=victim, version=version, root=root)
