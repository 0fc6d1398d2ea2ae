#!/usr/bin/env python3
"""Assembles strata's built-in image `builtin:busybox` as an OCI image layout.

    make-busybox-image.py --busybox /bin/busybox --out DIR

DIR gets oci-layout, index.json and blobs/sha256/: one gzip layer holding a
static busybox, a symlink per applet, /etc/passwd and /etc/group and the
usual empty directories, and a config for this machine's architecture.

The output depends only on the busybox binary (and the zlib of this Python):
entries are sorted, owned by 0:0 and dated EPOCH, gzip's header carries no
name and mtime 0, and JSON is written with sorted keys. The layout is written
beside DIR and renamed into place, so a reader never sees half of it.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile

# 2000-01-01T00:00:00Z: layer mtimes and the config's `created`.
EPOCH = 946684800
CREATED = "2000-01-01T00:00:00Z"
REF_NAME = "builtin:busybox"
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# uname -m -> (GOARCH, variant), the names OCI uses.
ARCHITECTURES = {
    "x86_64": ("amd64", ""),
    "aarch64": ("arm64", ""),
    "armv7l": ("arm", "v7"),
    "armv6l": ("arm", "v6"),
    "i386": ("386", ""),
    "i686": ("386", ""),
    "ppc64le": ("ppc64le", ""),
    "s390x": ("s390x", ""),
    "riscv64": ("riscv64", ""),
    "mips64": ("mips64le", ""),
    "loongarch64": ("loong64", ""),
}

DIRECTORIES = {
    "bin": 0o755,
    "dev": 0o755,
    "etc": 0o755,
    "home": 0o755,
    "proc": 0o755,
    "root": 0o700,
    "sbin": 0o755,
    "sys": 0o755,
    "tmp": 0o1777,
    "usr": 0o755,
    "usr/bin": 0o755,
    "usr/sbin": 0o755,
    "var": 0o755,
}

PASSWD = (
    "root:x:0:0:root:/root:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
)
GROUP = "root:x:0:\nnogroup:x:65534:\n"


def applets(busybox):
    """The applets' paths relative to / (bin/sh, usr/bin/env, ...)."""
    out = subprocess.run(
        [busybox, "--list-full"], check=True, capture_output=True, text=True
    ).stdout
    paths = sorted({line.strip().strip("/") for line in out.splitlines() if line.strip()})
    if "bin/sh" not in paths:
        sys.exit(f"make-busybox-image: {busybox} --list-full lists no bin/sh")
    return [p for p in paths if p != "bin/busybox" and ".." not in p.split("/")]


def entry(name, kind, mode, size=0, link=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.size = size
    info.linkname = link
    info.mtime = EPOCH
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def layer_tar(busybox):
    """The uncompressed layer tar, its entries sorted by path."""
    links = applets(busybox)
    dirs = dict(DIRECTORIES)
    for path in links:
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.setdefault("/".join(parts[:i]), 0o755)
    with open(busybox, "rb") as f:
        binary = f.read()
    files = {
        "bin/busybox": (0o755, binary),
        "etc/passwd": (0o644, PASSWD.encode()),
        "etc/group": (0o644, GROUP.encode()),
    }
    items = [(d, entry(d, tarfile.DIRTYPE, mode), None) for d, mode in dirs.items()]
    items += [(p, entry(p, tarfile.REGTYPE, mode, len(data)), data) for p, (mode, data) in files.items()]
    items += [(p, entry(p, tarfile.SYMTYPE, 0o777, link="/bin/busybox"), None) for p in links if p not in files]
    # By path component, so that a directory precedes what it holds.
    items.sort(key=lambda item: item[0].split("/"))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for _, info, data in items:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def gzipped(data):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", fileobj=buf, mode="wb", compresslevel=9, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


def canonical(doc):
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


class Layout:
    def __init__(self, root):
        self.root = root
        os.makedirs(os.path.join(root, "blobs", "sha256"))

    def put(self, data, media_type):
        digest = hashlib.sha256(data).hexdigest()
        with open(os.path.join(self.root, "blobs", "sha256", digest), "wb") as f:
            f.write(data)
        return {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(data)}

    def write(self, name, data):
        with open(os.path.join(self.root, name), "wb") as f:
            f.write(data)


def platform_of_host():
    machine = platform.machine()
    if machine not in ARCHITECTURES:
        sys.exit(f"make-busybox-image: no OCI architecture name known for '{machine}'")
    return ARCHITECTURES[machine]


def build(busybox, root):
    arch, variant = platform_of_host()
    tar = layer_tar(busybox)
    layout = Layout(root)
    layer = layout.put(gzipped(tar), "application/vnd.oci.image.layer.v1.tar+gzip")
    config = {
        "created": CREATED,
        "architecture": arch,
        "os": "linux",
        "config": {"Env": [PATH_ENV], "Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]},
        "history": [{"created": CREATED, "created_by": "strata tools/make-busybox-image.py"}],
    }
    if variant:
        config["variant"] = variant
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": layout.put(canonical(config), "application/vnd.oci.image.config.v1+json"),
        "layers": [layer],
    }
    top = layout.put(canonical(manifest), manifest["mediaType"])
    top["annotations"] = {"org.opencontainers.image.ref.name": REF_NAME}
    top["platform"] = {"architecture": arch, "os": "linux"}
    if variant:
        top["platform"]["variant"] = variant
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [top],
    }
    layout.write("index.json", canonical(index))
    layout.write("oci-layout", canonical({"imageLayoutVersion": "1.0.0"}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busybox", default="/bin/busybox", help="a static busybox binary")
    parser.add_argument("--out", required=True, help="the layout directory (replaced)")
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".busybox-image.", dir=parent)
    try:
        build(args.busybox, os.path.join(staging, "layout"))
        old = os.path.join(staging, "old")
        if os.path.lexists(out):
            os.rename(out, old)
        os.rename(os.path.join(staging, "layout"), out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


if __name__ == "__main__":
    main()
