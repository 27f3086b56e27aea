"""The shipped deploy/nginx.conf made runnable on this machine (its addresses, ports, certificates and
cache folder replaced, nothing else), for tests/integration/test_nginx_cache.py and bench/load.py."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from tests.conftest import REPO_ROOT
from tests.site_process import free_port

NGINX = Path("/usr/sbin/nginx")
SHIPPED = REPO_ROOT / "deploy" / "nginx.conf"


def _replaced(pattern: str, replacement: str, text: str, *, times: range | int = 1) -> str:
    """``text`` with ``pattern`` (a multi-line regex) replaced; fails, naming the pattern, when it
    matched another number of times than ``times``: the shipped file changed its shape, and this
    test must follow it."""
    found = len(re.findall(pattern, text, flags=re.MULTILINE | re.DOTALL))
    allowed = range(times, times + 1) if isinstance(times, int) else times
    assert found in allowed, f"deploy/nginx.conf: {pattern!r} matched {found} times, not {times}"
    return re.sub(pattern, replacement, text, flags=re.MULTILINE | re.DOTALL)


def runnable_config(shipped: str, *, nodes: list[str], port: int, prefix: Path) -> str:
    """The shipped configuration as it is, but for its addresses: the upstream servers are ``nodes``,
    the TLS server listens on 127.0.0.1:``port`` in plain HTTP, the port-80 redirect is gone and the
    cache lives under ``prefix``; wrapped in what /etc/nginx/nginx.conf would give it."""
    options = re.search(r"^ *server 10\.0\.0\.\d+:\d+ ([^;\n]*);$", shipped, flags=re.MULTILINE)
    assert options, "deploy/nginx.conf: no `server 10.0.0.x:PORT ...;` line in the upstream block"
    upstreams = "".join(f"    server {node.removeprefix('http://')} {options[1]};\n" for node in nodes)
    config = _replaced(r"(upstream paperfeed_web \{\n(?: *#[^\n]*\n)*)(?: *server [^\n]*;\n)+",
                       rf"\g<1>{upstreams}", shipped)
    config = _replaced(r"^server \{\n    listen 80;\n.*?^\}\n", "", config)
    config = _replaced(r"^ *listen 443 ssl[^;\n]*;$", f"    listen 127.0.0.1:{port};", config)
    config = _replaced(r"^ *http2 on;\n", "", config, times=range(2))
    config = _replaced(r"^ *ssl_certificate(?:_key)? [^;\n]*;\n", "", config, times=2)
    return _wrapped(_cache_under(prefix, config), prefix)


def as_installed(shipped: str, *, certificate: tuple[Path, Path], prefix: Path) -> str:
    """The shipped configuration with only what an operator changes changed: the certificate
    files, the ports (80 and 443 are not this test's to take) and the cache folder."""
    config = _replaced(r"^ *listen 80;$", f"    listen 127.0.0.1:{free_port()};", shipped)
    config = _replaced(r"^( *)listen 443 ", rf"\g<1>listen 127.0.0.1:{free_port()} ", config)
    config = _replaced(r"^( *ssl_certificate) +/etc/letsencrypt/\S+;$", rf"\g<1> {certificate[0]};", config)
    config = _replaced(r"^( *ssl_certificate_key) /etc/letsencrypt/\S+;$", rf"\g<1> {certificate[1]};", config)
    return _wrapped(_cache_under(prefix, config), prefix)


def _cache_under(prefix: Path, config: str) -> str:
    return _replaced(r"^proxy_cache_path \S+ ", f"proxy_cache_path {prefix / 'cache'} ", config)


def _wrapped(config: str, prefix: Path) -> str:
    """``config`` (a file for /etc/nginx/conf.d/) inside a main configuration whose files are all in ``prefix``."""
    # nginx started by root runs its workers as nobody, who cannot enter pytest's folders.
    user = "user root;\n" if os.geteuid() == 0 else ""
    temporary = "".join(f"    {kind}_temp_path {prefix / kind};\n"
                        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"{user}pid {prefix / 'nginx.pid'};\nerror_log {prefix / 'error.log'} warn;\n"
            "events { worker_connections 256; }\n"
            f"http {{\n    access_log {prefix / 'access.log'};\n{temporary}{config}\n}}\n")


def nginx_command(config: str, prefix: Path) -> list[str]:
    """The command line that runs ``config`` with its files in ``prefix``, after checking it (``nginx -t``)."""
    prefix.mkdir(exist_ok=True)
    (prefix / "nginx.conf").write_text(config)
    command = [str(NGINX), "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(prefix / "nginx.conf")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, f"the installed nginx refuses deploy/nginx.conf:\n{checked.stderr}"
    return command
