"""Throwaway certificates and TLS-only brokers (Mosquitto, single-node Kafka) for transport security tests.

Certificates come from the openssl command line: a CA, a server certificate
for ``localhost`` and ``127.0.0.1``, and a client certificate whose key also
exists encrypted. Each broker runs as a process of its own on a free port
with its data under the test's temporary folder, separate from the shared
test brokers in ``tests.support.brokers``. Kafka reuses the jars that
``ops/brokers/kafka.sh`` downloads and the tuning of its config template.
"""

from __future__ import annotations

import base64
import getpass
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.brokers import BROKERS_DIR, LOOPBACK

KEY_PASSWORD = "correct horse battery staple"
_EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
# Python's strict X.509 checks want key identifiers; the SANs cover both ways of naming loopback.
_LEAF_EXTENSIONS = (
    "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage={usage}\n"
    "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n{san}"
)


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, alive: Callable[[], bool], what: str, timeout_s: float = 10.0) -> None:
    """Wait until ``port`` accepts connections; fail early once ``alive()`` says the process died."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"{what} exited during start-up")
        with socket.socket() as s:
            if s.connect_ex((LOOPBACK, port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"{what} did not listen on {LOOPBACK}:{port} within {timeout_s:.0f}s")


@dataclass(frozen=True)
class Certs:
    """PEM files of one throwaway PKI."""

    folder: Path

    ca = property(lambda self: self.folder / "ca.crt")
    server_cert = property(lambda self: self.folder / "server.crt")
    server_key = property(lambda self: self.folder / "server.key")
    client_cert = property(lambda self: self.folder / "client.crt")
    client_key = property(lambda self: self.folder / "client.key")
    client_key_encrypted = property(lambda self: self.folder / "client-encrypted.key")
    # Key and chain in one file, the layout of a Kafka PEM key store.
    server_pem = property(lambda self: self.folder / "server.pem")


def _openssl(*args: str, cwd: Path) -> None:
    proc = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise RuntimeError(f"openssl {' '.join(args[:2])} failed: {proc.stderr.strip()}")


def _leaf(folder: Path, name: str, subject: str, usage: str, san: str) -> None:
    _openssl("req", "-new", *_EC_KEY, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject, cwd=folder)
    (folder / f"{name}.ext").write_text(_LEAF_EXTENSIONS.format(usage=usage, san=san))
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "2", "-out", f"{name}.crt", "-extfile", f"{name}.ext", cwd=folder)


def make_certs(folder: Path) -> Certs:
    """A CA, a server certificate for localhost/127.0.0.1 and a client certificate, in ``folder``."""
    if shutil.which("openssl") is None:
        raise RuntimeError("openssl not found: install it (apt-get install -y openssl) to run the TLS tests")
    folder.mkdir(parents=True, exist_ok=True)
    _openssl("req", "-x509", *_EC_KEY, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=citytwin test CA",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)
    # The server certificate also serves Kafka's own client side, hence clientAuth.
    _leaf(folder, "server", "/CN=localhost", "serverAuth,clientAuth", "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    _leaf(folder, "client", "/CN=citytwin-node", "clientAuth", "")
    _openssl("pkey", "-in", "client.key", "-out", "client-encrypted.key", "-aes256", "-passout", f"pass:{KEY_PASSWORD}",
             cwd=folder)
    certs = Certs(folder)
    certs.server_pem.write_text(certs.server_key.read_text() + certs.server_cert.read_text())
    return certs


@contextmanager
def mosquitto_tls(folder: Path, certs: Certs, require_certificate: bool = False) -> Iterator[int]:
    """Mosquitto with only a TLS listener; yields its port."""
    port = free_port()
    conf = folder / f"mosquitto-{port}.conf"
    conf.write_text(
        # Mosquitto drops root privileges unless told otherwise, and the keys are private to this user.
        f"user {getpass.getuser()}\nlistener {port} {LOOPBACK}\n"
        f"cafile {certs.ca}\ncertfile {certs.server_cert}\nkeyfile {certs.server_key}\n"
        f"require_certificate {str(require_certificate).lower()}\nallow_anonymous true\npersistence false\n"
    )
    with running(["mosquitto", "-c", str(conf)], folder / f"mosquitto-{port}.log", "mosquitto") as proc:
        wait_for_port(port, lambda: proc.poll() is None, f"mosquitto with TLS (log {folder}/mosquitto-{port}.log)")
        yield port


@contextmanager
def running(command: list[str], log: Path, what: str, stop_timeout_s: float = 30.0) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` with its output in ``log``; terminate it afterwards, kill it if it lingers."""
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(stop_timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.returncode not in (0, -15, 143):
            print(f"{what} ended with exit code {proc.returncode}; log {log}")


def kafka_libs() -> Path:
    """The jar folder of the Kafka that ops/brokers/kafka.sh runs, downloading it if needed."""
    script = BROKERS_DIR / "kafka.sh"
    version = re.search(r'^KAFKA_VERSION="([^"]+)"', script.read_text(), re.MULTILINE)
    assert version, f"no KAFKA_VERSION in {script}"
    cache = Path(os.environ.get("CITYTWIN_CACHE") or Path.home() / ".cache" / "citytwin")
    libs = cache / f"kafka-{version[1]}" / "libs"
    if not (libs / f"kafka_2.13-{version[1]}.jar").exists():
        proc = subprocess.run([str(script), "fetch"], capture_output=True, text=True, timeout=900, check=False)
        if proc.returncode:
            raise RuntimeError(f"kafka.sh fetch failed: {(proc.stdout + proc.stderr).strip()}")
    return libs


def kafka_ssl_properties(port: int, controller_port: int, data: Path, certs: Certs) -> str:
    """The single-node template of kafka.sh with its client listener switched to SSL and client certificates required."""
    text = (BROKERS_DIR / "kafka" / "server.properties.in").read_text()
    text = text.replace("@PORT@", str(port)).replace("@CONTROLLER_PORT@", str(controller_port)).replace("@DATA_DIR@", str(data))
    # The controller listener stays plaintext: it is internal to this one JVM.
    for old, new in (("PLAINTEXT:PLAINTEXT", "SSL:SSL"), ("PLAINTEXT://", "SSL://"), ("listener.name=PLAINTEXT", "listener.name=SSL")):
        assert old in text, f"{old!r} not in the Kafka config template; update {__name__}"
        text = text.replace(old, new)
    return text + (
        "\nssl.keystore.type=PEM\n"
        f"ssl.keystore.location={certs.server_pem}\n"
        "ssl.truststore.type=PEM\n"
        f"ssl.truststore.location={certs.ca}\n"
        "ssl.client.auth=required\n"
    )


def kafka_cluster_id() -> str:
    """16 random bytes, URL-safe base64 without padding, not starting with '-' (as kafka-storage makes them)."""
    while (cluster := base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")).startswith("-"):
        pass
    return cluster


@contextmanager
def kafka_ssl(folder: Path, certs: Certs, ready: Callable[[str], bool], timeout_s: float = 180.0) -> Iterator[str]:
    """A KRaft broker whose only client listener is SSL with required client certificates; yields its bootstrap."""
    libs, java = kafka_libs(), shutil.which("java")
    if java is None:
        raise RuntimeError("java not found: Kafka needs Java 17 (apt-get install -y openjdk-17-jre-headless)")
    port, controller_port = free_port(), free_port()
    config = folder / "server.properties"
    (folder / "logs").mkdir(parents=True, exist_ok=True)
    config.write_text(kafka_ssl_properties(port, controller_port, folder / "data", certs))
    log4j = f"-Dlog4j2.configurationFile={BROKERS_DIR / 'kafka' / 'log4j2-tools.xml'}"
    subprocess.run([java, "-Xmx256m", log4j, "-cp", f"{libs}/*", "kafka.tools.StorageTool", "format", "--standalone",
                    "--cluster-id", kafka_cluster_id(), "--config", str(config)], check=True, capture_output=True, timeout=120)
    command = [java, "-Xmx384m", "-Xms128m", "-XX:+UseG1GC", "-Djava.awt.headless=true", f"-Dkafka.logs.dir={folder / 'logs'}",
               f"-Dlog4j2.configurationFile={BROKERS_DIR / 'kafka' / 'log4j2.xml'}", "-cp", f"{libs}/*", "kafka.Kafka", str(config)]
    bootstrap = f"{LOOPBACK}:{port}"
    with running(command, folder / "logs" / "kafka.out", "Kafka with SSL") as proc:
        what = f"Kafka with SSL (logs in {folder / 'logs'})"
        wait_for_port(port, lambda: proc.poll() is None, what, timeout_s)
        deadline = time.monotonic() + timeout_s
        while not ready(bootstrap):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not answer a metadata request over SSL")
            time.sleep(0.5)
        yield bootstrap
