"""The deploy/ topology on this machine: deploy/nginx.conf rendered for a non-root nginx, and nginx started.

The shipped config is what runs: :func:`render_nginx_conf` changes only the listen port,
the two upstream ports and the pid, log and temporary paths, each a literal that must be in
the file (a missing one fails loudly, so the test cannot drift from the file).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

from dashboard.config import PROJECT_ROOT

NGINX_CONF = PROJECT_ROOT / "deploy" / "nginx.conf"
# What the shipped file says, in the order the renderer replaces it.
SHIPPED_LISTEN = "listen 80 default_server;"
SHIPPED_UPSTREAMS = ("server 127.0.0.1:8501 ", "server 127.0.0.1:8502 ")
SHIPPED_PATHS = {
    "pid": "/run/nginx.pid",
    "error_log": "/var/log/nginx/error.log",
    "access_log": "/var/log/nginx/impact-access.log",
    "temp": "/var/lib/nginx/",
}
# One access-log line: ... upstream=127.0.0.1:8501 route=<32 hex>
LOG_LINE = re.compile(
    r'"(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d+) .* upstream=(?P<upstream>\S+) route=(?P<route>\S+)$'
)


def render_nginx_conf(text: str, listen_port: int, app_ports: tuple[int, int], folder: Path) -> str:
    """The shipped nginx config with loopback ports and every file under ``folder``.

    Parameters
    ----------
    text : str
        deploy/nginx.conf as shipped.
    listen_port : int
        The proxy's port on 127.0.0.1 (the shipped file listens on port 80 of every address).
    app_ports : tuple of int
        The two ``impact serve`` ports, in place of 8501 and 8502.
    folder : Path
        Where the pid file, the logs and nginx's temporary files go.

    Returns
    -------
    str
        The config, every other line as shipped.

    Raises
    ------
    ValueError
        When a literal the renderer replaces is not in ``text`` (the file changed under the test).

    Examples
    --------
    >>> conf = "pid /run/nginx.pid;\\nlisten 80 default_server;\\nserver 127.0.0.1:8501 x;\\nserver 127.0.0.1:8502 x;"
    >>> conf += "\\nerror_log /var/log/nginx/error.log;\\naccess_log /var/log/nginx/impact-access.log;\\n"
    >>> conf += "client_body_temp_path /var/lib/nginx/body;"
    >>> print(render_nginx_conf(conf, 8750, (8751, 8752), Path("/tmp/n")))
    pid /tmp/n/nginx.pid;
    listen 127.0.0.1:8750 default_server;
    server 127.0.0.1:8751 x;
    server 127.0.0.1:8752 x;
    error_log /tmp/n/error.log;
    access_log /tmp/n/access.log;
    client_body_temp_path /tmp/n/temp/body;
    """
    replacements = [
        (SHIPPED_LISTEN, f"listen 127.0.0.1:{listen_port} default_server;"),
        (SHIPPED_UPSTREAMS[0], f"server 127.0.0.1:{app_ports[0]} "),
        (SHIPPED_UPSTREAMS[1], f"server 127.0.0.1:{app_ports[1]} "),
        (SHIPPED_PATHS["pid"], str(folder / "nginx.pid")),
        (SHIPPED_PATHS["error_log"], str(folder / "error.log")),
        (SHIPPED_PATHS["access_log"], str(folder / "access.log")),
        (SHIPPED_PATHS["temp"], f"{folder / 'temp'}/"),
    ]
    for old, new in replacements:
        if old not in text:
            raise ValueError(f"deploy/nginx.conf no longer contains {old!r}: update tests/deployment.py")
        text = text.replace(old, new)
    return text


def nginx_binary() -> str | None:
    """Debian's nginx (``apt-get install nginx-light``), or None."""
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


class Nginx:
    """nginx as this user, on the rendered config, in the foreground of its own process."""

    def __init__(self, binary: str, listen_port: int, app_ports: tuple[int, int], folder: Path) -> None:
        self.folder = folder
        (folder / "temp").mkdir(parents=True, exist_ok=True)
        self.conf = folder / "nginx.conf"
        self.conf.write_text(render_nginx_conf(NGINX_CONF.read_text(), listen_port, app_ports, folder))
        self.url = f"http://127.0.0.1:{listen_port}"
        self.app_ports = app_ports
        # -e: the error log before the config is read (the built-in default is not writable).
        base = [binary, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(self.conf)]
        checked = subprocess.run([*base, "-t"], capture_output=True, text=True)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t failed on the rendered deploy/nginx.conf:\n{checked.stderr}")
        self.process = subprocess.Popen(
            [*base, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=open(folder / "stderr.log", "w")
        )

    def wait_until_proxying(self, seconds: float = 60) -> None:
        """Wait until the proxy answers the app's health check (both backends may still be starting)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {(self.folder / 'error.log').read_text()}")
            try:
                if urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2).status == 200:
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"nginx did not proxy within {seconds} s: {(self.folder / 'error.log').read_text()}")

    def access_log(self) -> list[dict]:
        """The access log's lines, parsed (nginx writes a websocket's line when it closes)."""
        path = self.folder / "access.log"
        lines = path.read_text().splitlines() if path.exists() else []
        return [match.groupdict() for line in lines if (match := LOG_LINE.search(line))]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=20)
