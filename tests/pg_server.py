"""A throwaway PostgreSQL cluster for the tests and benchmarks: Debian's server binaries, a temporary data
folder, 127.0.0.1 at a free port, password (SCRAM) logins, stopped and deleted at the end.

PostgreSQL refuses to run as root, so under root the cluster belongs to the unprivileged `nobody`
user. A missing server is an error, never a reason to skip: scripts/test.sh installs Debian's
`postgresql` package.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any

ADMIN = "docrelay"
UNPRIVILEGED = "nobody"


class PostgresMissing(RuntimeError):
    pass


def server_bin() -> Path:
    """The bin folder of the newest installed Debian PostgreSQL server."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name)
    )
    if not found:
        raise PostgresMissing(
            "No PostgreSQL server is installed (/usr/lib/postgresql/*/bin/initdb): "
            "scripts/test.sh installs Debian's postgresql package"
        )
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PostgresServer:
    """`with PostgresServer() as pg:` ... `pg.url(pg.create_database())`."""

    def __init__(self, *, tls: tuple[Path, Path] | None = None) -> None:
        """`tls`: a server certificate and its key (PEM); the server then accepts TLS connections."""
        self.bin = server_bin()
        self.tls = tls
        self.password = "pw-" + secrets.token_hex(12)
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="docrelay-pg-"))
        self.data = self.root / "data"
        self._user: dict[str, Any] = {}
        if os.geteuid() == 0:
            entry = pwd.getpwnam(UNPRIVILEGED)
            self._user = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._databases = 0

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            args,
            cwd=self.root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"},
            **self._user,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} failed ({done.returncode}): {done.stderr.strip()}")

    def start(self) -> PostgresServer:
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        own = [pwfile]
        if self.tls is not None:  # the server reads its key only if no one else may
            for source, name in zip(self.tls, ("server.crt", "server.key"), strict=True):
                shutil.copy(source, self.root / name)
                (self.root / name).chmod(0o600)
                own.append(self.root / name)
        if self._user:
            for path in own:
                os.chown(path, self._user["user"], self._user["group"])
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            ADMIN,
            f"--pwfile={pwfile}",
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--no-sync",
        )
        self.resume()
        return self

    def resume(self) -> None:
        """Start the server (again, after `pause`)."""
        # fsync=off only: a server stopped with -m immediate keeps every commit (the WAL is in the OS's
        # cache), as on a real server; synchronous_commit stays on, as docrelay's guarantees need.
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root} "
            "-c fsync=off -c max_connections=200"
        )
        if self.tls is not None:
            cert, key = self.root / "server.crt", self.root / "server.key"
            options += f" -c ssl=on -c ssl_cert_file={cert} -c ssl_key_file={key}"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )

    def pause(self) -> None:
        """Stop the server at once, as a crash or a network cut would; `resume` starts it again."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url(self, database: str = "postgres", *, with_password: bool = True) -> str:
        login = f"{ADMIN}:{self.password}" if with_password else ADMIN
        return f"postgresql://{login}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new, empty database; its name."""
        import psycopg

        self._databases += 1
        name = f"journal_{os.getpid()}_{self._databases}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        return name
