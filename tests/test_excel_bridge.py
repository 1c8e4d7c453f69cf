"""`docrelay-excel serve`: the add-in's bridge over real HTTPS with the CA it made, as the pane uses it.

Push, status, the plan for the open workbook, results since a cursor; the custom functions' lookup;
uploads; and every refusal of the guard (token, Host, Origin, size, traversal, loopback-only bind).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import ssl
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

import pytest
from cryptography import x509
from openpyxl import Workbook

from core.workbook.xlsx.applier import apply_actions
from tests.bridge_helpers import Bridge, start_bridge
from tests.cli_helpers import SAMPLES

WORKBOOK = "wb-tests-0001"
EMPTY_SNAPSHOT = {"sheets": ["Sheet1"]}


@pytest.fixture(scope="module")
def bridge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bridge]:
    tmp = tmp_path_factory.mktemp("bridge")
    running = start_bridge(tmp)
    yield running
    code, _, err = running.stop()
    assert code == 0, err
    assert "Traceback" not in err, err


def _docs(tmp: Path) -> list[Path]:
    folder = tmp / "docs"
    folder.mkdir(exist_ok=True)
    names = ["invoice-globex-us.pdf", "facture-dupont-fr.pdf"]
    return [Path(shutil.copy(SAMPLES / name, folder / name)) for name in names]


def _raw(bridge: Bridge, request: bytes) -> tuple[int, bytes]:
    """A hand-made HTTP request over TLS (headers a client library would not send)."""
    context = ssl.create_default_context(cafile=str(bridge.ca))
    with (
        socket.create_connection(("127.0.0.1", bridge.port), timeout=30) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.sendall(request)
        data = b""
        while chunk := tls.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data.partition(b"\r\n\r\n")[2]


# -- the certificate --------------------------------------------------------------------------------
def test_the_ca_is_made_in_the_bridge_folder_and_only_vouches_for_localhost(bridge: Bridge) -> None:
    ca = x509.load_pem_x509_certificate(bridge.ca.read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    constraints = ca.extensions.get_extension_for_class(x509.NameConstraints).value
    assert next(n.value for n in constraints.permitted_subtrees or []) == "localhost"
    if os.name != "nt":
        assert stat.S_IMODE((bridge.home / "ca.key").stat().st_mode) == 0o600
        assert stat.S_IMODE(bridge.home.stat().st_mode) == 0o700
    for path in ("/ca.key", "/assets/ca.key", "/localhost.key", "/bridge.json"):
        assert bridge.session.get(bridge.url + path, timeout=10).status_code == 404


def test_only_the_loopback_address_listens(bridge: Bridge) -> None:
    if sys.platform.startswith("linux"):
        listening = Path("/proc/net/tcp").read_text().splitlines()[1:]
        ours = [line.split() for line in listening if line.split()[1].endswith(f":{bridge.port:04X}")]
        assert ours and all(fields[1].startswith("0100007F:") for fields in ours), ours
        assert f":{bridge.port:04X}" not in Path("/proc/net/tcp6").read_text()
    for address in _own_addresses():
        with pytest.raises(OSError), socket.create_connection((address, bridge.port), timeout=2):
            pass


def _own_addresses() -> list[str]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # no packet is sent: only picks the outgoing address
            address = str(probe.getsockname()[0])
        except OSError:
            return []
    return [] if address.startswith("127.") else [address]


# -- push, status, plan, results --------------------------------------------------------------------
def test_push_then_status_then_plan_then_results_since_a_cursor(bridge: Bridge, tmp_path: Path) -> None:
    good = _docs(tmp_path)
    missing = str(tmp_path / "docs" / "missing.pdf")
    sources = [str(p) for p in good] + [missing]
    job = bridge.ok("POST", "/api/push", json={"workbook": WORKBOOK, "sources": sources})
    assert [d["source"] for d in job["documents"]] == sources
    assert job["documents"][2]["status"] == "failed" and "missing.pdf" in job["documents"][2]["error"]
    done = bridge.wait_job(job["job"])
    assert done["state"] == "finished"
    assert [d["status"] for d in done["documents"]][:2] != ["queued", "queued"]
    assert {d["status"] for d in done["documents"][:2]} <= {"done", "needs_review"}

    planned = bridge.ok(
        "POST", "/api/plan", json={"workbook": WORKBOOK, "snapshot": EMPTY_SNAPSHOT, "cursor": 0}
    )
    assert planned["results"] == 3 and planned["summary"]["rows_added"] == 3
    book = Workbook()
    apply_actions(book, planned["actions"])  # the reference applier: the pane applies the same actions
    sheet = book["Documents"]
    headers = [c.value for c in sheet[1]]
    rows = {r[0]: dict(zip(headers, r, strict=False)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == set(sources)
    assert rows[missing]["status"] == "failed" and "missing.pdf" in rows[missing]["error"]
    assert rows[sources[0]]["total_amount"] is not None

    again = bridge.ok(
        "POST",
        "/api/plan",
        json={"workbook": WORKBOOK, "snapshot": EMPTY_SNAPSHOT, "cursor": planned["cursor"]},
    )
    assert again["results"] == 0
    since = bridge.ok("GET", "/api/results", params={"workbook": WORKBOOK, "since": 0})
    assert len(since["results"]) == 3 and since["cursor"] == planned["cursor"]
    assert since["results"][0]["document"]["source"] == sources[0]
    nothing = bridge.ok("GET", "/api/results", params={"workbook": WORKBOOK, "since": since["cursor"]})
    assert nothing["results"] == []
    other = bridge.ok("GET", "/api/results", params={"workbook": "another-workbook", "since": 0})
    assert other["results"] == []  # a workbook sees only what it pushed


def test_the_plan_for_an_open_docrelay_workbook_updates_its_rows(bridge: Bridge, tmp_path: Path) -> None:
    good = _docs(tmp_path)
    workbook = "wb-tests-update"
    job = bridge.ok("POST", "/api/push", json={"workbook": workbook, "sources": [str(good[0])]})
    bridge.wait_job(job["job"])
    first = bridge.ok("POST", "/api/plan", json={"workbook": workbook, "snapshot": EMPTY_SNAPSHOT})
    book = Workbook()
    apply_actions(book, first["actions"])
    # The snapshot the pane would read from that workbook (reader.js), then the same document again.
    sheet = book["Documents"]
    headers = [c.value for c in sheet[1]]
    snapshot = {
        "sheets": book.sheetnames,
        "tables": {
            "Documents": {
                "name": "Documents",
                "header_row": 1,
                "first_column": 1,
                "headers": headers,
                "rows": 1,
                "columns": {
                    "doc_key": [sheet.cell(2, headers.index("doc_key") + 1).value],
                    "source": [str(good[0])],
                    "status": ["rerun"],
                },
            }
        },
        "hidden": [list(r) for r in book["_docrelay"].iter_rows(values_only=True)],
        "settings": [[c for c in r[:2]] for r in book["Settings"].iter_rows(values_only=True)],
        "threshold": 0.8,
    }
    again = bridge.ok("POST", "/api/plan", json={"workbook": workbook, "snapshot": snapshot, "cursor": 0})
    assert again["summary"]["rows_added"] == 0 and again["summary"]["rows_updated"] == 1
    assert not any(a["op"] == "addSheet" for a in again["actions"])


def test_custom_function_lookup_reads_the_journal_and_never_pushes(bridge: Bridge, tmp_path: Path) -> None:
    good = _docs(tmp_path)
    job = bridge.ok("POST", "/api/push", json={"workbook": "wb-tests-lookup", "sources": [str(good[0])]})
    done = bridge.wait_job(job["job"])
    key = done["documents"][0]["doc_key"]
    by_key = bridge.ok("GET", "/api/lookup", params={"key": key})
    by_source = bridge.ok("GET", "/api/lookup", params={"key": str(good[0])})
    by_name = bridge.ok("GET", "/api/lookup", params={"key": good[0].name})
    assert by_key == by_source == by_name
    assert by_key["status"] in ("done", "needs_review")
    assert isinstance(by_key["fields"]["total_amount"]["value"], float)
    assert 0 <= by_key["fields"]["total_amount"]["confidence"] <= 1
    unknown = bridge.api("GET", "/api/lookup", params={"key": str(tmp_path / "never-pushed.pdf")})
    assert unknown.status_code == 404 and "pushed" in unknown.json()["error"]["message"]
    assert bridge.ok("GET", "/api/health")["busy"] is False  # the lookups started no job


def test_upload_sniffs_the_type_from_the_bytes(bridge: Bridge) -> None:
    pdf = (SAMPLES / "invoice-globex-us.pdf").read_bytes()
    stored = bridge.ok("PUT", "/api/uploads", params={"name": "..\\..\\scan.txt"}, data=pdf)
    assert stored["content_type"] == "application/pdf" and stored["name"] == "scan.txt"
    refused = bridge.api("PUT", "/api/uploads", params={"name": "notes.pdf"}, data=b"just some text\n")
    assert refused.status_code == 415 and "cannot read it" in refused.json()["error"]["message"]
    job = bridge.ok(
        "POST",
        "/api/push",
        json={"workbook": "wb-tests-upload", "uploads": [{"upload": stored["upload"], "name": "scan.txt"}]},
    )
    assert bridge.wait_job(job["job"])["documents"][0]["status"] in ("done", "needs_review")
    bad = bridge.api(
        "POST", "/api/push", json={"workbook": "wb-tests-upload", "uploads": [{"upload": "../x"}]}
    )
    assert bad.status_code == 400


def test_a_picked_files_row_links_to_the_copy_the_bridge_stored(bridge: Bridge) -> None:
    """The row shows the name picked; its hyperlink must open the document, which is only in the
    bridge's folder (a link to the bare name opens nothing)."""
    pdf = (SAMPLES / "facture-dupont-fr.pdf").read_bytes()
    stored = bridge.ok("PUT", "/api/uploads", params={"name": "facture dupont é.pdf"}, data=pdf)
    workbook = "wb-tests-picked-link"
    upload = {"upload": stored["upload"], "name": stored["name"]}
    bridge.wait_job(bridge.ok("POST", "/api/push", json={"workbook": workbook, "uploads": [upload]})["job"])
    planned = bridge.ok("POST", "/api/plan", json={"workbook": workbook, "snapshot": EMPTY_SNAPSHOT})
    book = Workbook()
    apply_actions(book, planned["actions"])
    sheet = book["Documents"]
    headers = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=headers.index("source") + 1)
    assert cell.value == "facture dupont é.pdf"  # the name picked stays what the row shows
    links = [a for a in planned["actions"] if a["op"] == "setHyperlink" and a["column"] == cell.column]
    assert len(links) == 1
    target = links[0]["target"]
    assert target.startswith("file:///") and " " not in target  # a URL Excel opens on Windows and Mac
    opened = Path(url2pathname(unquote(urlparse(target).path)))
    assert opened.is_absolute() and opened.read_bytes() == pdf
    assert (bridge.home / "uploads") in opened.parents
    assert opened.name == "facture dupont é.pdf"
    # Its row selected and pushed again (the workbook never saved): the stored copy goes, same link.
    again = bridge.ok("POST", "/api/push", json={"workbook": workbook, "sources": ["facture dupont é.pdf"]})
    assert again["documents"][0]["status"] != "failed" and again["documents"][0]["doc_key"]
    other = bridge.api("POST", "/api/push", json={"workbook": workbook, "sources": ["other.pdf"]})
    assert other.status_code == 400 and "relative path" in other.json()["error"]["message"]
    shutil.rmtree(opened.parent)  # the copy pruned (the bridge keeps picked files 90 days)
    gone = bridge.api("POST", "/api/push", json={"workbook": workbook, "sources": [stored["name"]]})
    assert gone.status_code == 404 and "Pick the file again" in gone.json()["error"]["message"]


def test_bad_requests_get_clear_errors(bridge: Bridge) -> None:
    cases = [
        ({"sources": ["/x.pdf"]}, 400, "workbook"),
        ({"workbook": WORKBOOK, "sources": []}, 400, "Nothing to push"),
        ({"workbook": WORKBOOK, "sources": ["relative.pdf"]}, 400, "relative path"),
    ]
    for body, status, words in cases:
        response = bridge.api("POST", "/api/push", json=body)
        assert response.status_code == status and words in response.json()["error"]["message"], response.text
    not_json = bridge.api("POST", "/api/plan", data=b"{", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400
    assert bridge.api("GET", "/api/jobs/no-such-job").status_code == 404
    cursor = bridge.api("GET", "/api/results", params={"workbook": WORKBOOK, "since": "nan"})
    assert cursor.status_code == 400


# -- the guard --------------------------------------------------------------------------------------
def test_the_token_is_required_and_checked(bridge: Bridge) -> None:
    missing = bridge.session.get(bridge.url + "/api/health", timeout=10)
    assert missing.status_code == 401 and missing.json()["error"]["type"] == "no_token"
    wrong = bridge.session.get(bridge.url + "/api/health", headers={"X-DocRelay-Token": "x" * 43}, timeout=10)
    assert wrong.status_code == 401 and wrong.json()["error"]["type"] == "bad_token"
    in_url = bridge.session.get(bridge.url + f"/api/health?token={bridge.token}", timeout=10)
    assert in_url.status_code == 401
    page = bridge.session.get(bridge.url + "/taskpane.html", timeout=10)
    assert page.status_code == 200 and bridge.token in page.text  # handed to the same-origin pane
    assert page.headers["cache-control"] == "no-store"
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_foreign_hosts_and_origins_are_refused(bridge: Bridge) -> None:
    token = bridge.token
    for host in ("evil.example", f"evil.example:{bridge.port}", f"localhost:{bridge.port + 1}", "[::1]"):
        for path in ("/api/health", "/taskpane.html"):
            request = (
                f"GET {path} HTTP/1.1\r\nHost: {host}\r\nX-DocRelay-Token: {token}\r\n"
                "Connection: close\r\n\r\n"
            )
            status, body = _raw(bridge, request.encode())
            assert status == 421, (host, path, body)
            assert token not in body.decode("utf-8", "replace")
    for origin in ("https://evil.example", "null", f"http://localhost:{bridge.port}"):
        response = bridge.api("GET", "/api/health", headers={"Origin": origin})
        assert response.status_code == 403 and response.json()["error"]["type"] == "foreign_origin"
        assert "access-control-allow-origin" not in {k.lower() for k in response.headers}
    same = bridge.api("GET", "/api/health", headers={"Origin": bridge.url})
    assert same.status_code == 200 and "access-control-allow-origin" not in {k.lower() for k in same.headers}
    cross = bridge.api("GET", "/api/health", headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    preflight = bridge.session.options(
        bridge.url + "/api/push", headers={"Origin": "https://evil.example"}, timeout=10
    )
    assert preflight.status_code == 403 and "access-control-allow-origin" not in preflight.headers


def test_oversized_bodies_are_refused(bridge: Bridge) -> None:
    big = 64 * 1024 * 1024 + 1
    request = (
        f"PUT /api/uploads?name=a.pdf HTTP/1.1\r\nHost: localhost:{bridge.port}\r\n"
        f"X-DocRelay-Token: {bridge.token}\r\nContent-Length: {big}\r\nConnection: close\r\n\r\n%PDF-"
    )
    status, body = _raw(bridge, request.encode())
    assert status == 413 and b"64 MB" in body
    json_request = (
        f"POST /api/plan HTTP/1.1\r\nHost: localhost:{bridge.port}\r\nContent-Type: application/json\r\n"
        f"X-DocRelay-Token: {bridge.token}\r\nContent-Length: {17 * 1024 * 1024}\r\n"
        "Connection: close\r\n\r\n{"
    )
    assert _raw(bridge, json_request.encode())[0] == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it comes
        yield b"%PDF-1.4\n"
        block = b"0" * (1024 * 1024)
        for _ in range(65):
            yield block

    chunked = bridge.api("PUT", "/api/uploads", params={"name": "big.pdf"}, data=chunks())
    assert chunked.status_code == 413
    assert not [p for p in (bridge.home / "uploads").iterdir() if p.name.startswith(".upload-")]


def test_asset_paths_cannot_leave_the_add_in_folder(bridge: Bridge) -> None:
    for path in (
        "/assets/../bridge.json",
        "/assets/..%2f..%2fpyproject.toml",
        "/assets/%2e%2e/%2e%2e/cli.py",
        "/assets/%252e%252e%252fbridge.json",
        "/assets/..%5cbridge.json",
        "/assets/taskpane.js%00.png",
    ):
        request = f"GET {path} HTTP/1.1\r\nHost: localhost:{bridge.port}\r\nConnection: close\r\n\r\n"
        status, _ = _raw(bridge, request.encode())
        assert status in (400, 404), (path, status)
    assert bridge.session.get(bridge.url + "/assets/applier.js", timeout=10).status_code == 200
    assert bridge.session.get(bridge.url + "/assets/nope.js", timeout=10).status_code == 404


# -- the add-in's files -----------------------------------------------------------------------------
def test_functions_json_matches_the_functions_the_bridge_serves(bridge: Bridge) -> None:
    from excel_addin.bridge.functions import FUNCTIONS

    served = bridge.session.get(bridge.url + "/functions.json", timeout=10).json()
    assert {f["id"]: [p["name"] for p in f["parameters"]] for f in served["functions"]} == FUNCTIONS
    script = bridge.session.get(bridge.url + "/assets/functions.js", timeout=10).text
    # Run as the browser runs it (no CommonJS `module`), with a fake CustomFunctions recording associate().
    probe = (
        "const associated = {}; const sandbox = {DocRelayBridge: {}, CustomFunctions: "
        "{associate: (id, fn) => { associated[id] = fn.length; }}}; sandbox.self = sandbox;"
        f"require('vm').runInNewContext({json.dumps(script)}, sandbox);"
        "console.log(JSON.stringify(associated));"
    )
    node = shutil.which("node")
    assert node, "node is missing: scripts/test.sh installs it"
    import subprocess

    out = subprocess.run([node, "-e", probe], capture_output=True, text=True, timeout=60, check=True).stdout
    arity = json.loads(out)
    assert arity == {name: len(params) for name, params in FUNCTIONS.items()}


def test_the_manifest_parses_offline_and_points_only_at_the_bridge(bridge: Bridge, tmp_path: Path) -> None:
    manifest = bridge.session.get(bridge.url + "/manifest.xml", timeout=10)
    assert manifest.status_code == 200
    path = tmp_path / "manifest.xml"
    path.write_bytes(manifest.content)
    parsed = _read_manifest(path)
    identity = json.loads((bridge.home / "bridge.json").read_text())
    assert parsed["id"] == identity["addin_id"]
    assert parsed["defaultSettings"]["sourceLocation"] == f"{bridge.url}/taskpane.html"
    assert parsed["hosts"] == ["Workbook"] and parsed["permissions"] == "ReadWriteDocument"
    from lxml import etree

    tree = etree.fromstring(manifest.content)
    urls = [v for v in tree.xpath("//@DefaultValue") if str(v).startswith(("http:", "https:"))]
    urls += [str(e.text) for e in tree.iter("{*}AppDomain")]
    assert urls and all(str(u).startswith(bridge.url) for u in urls), urls
    namespace = tree.xpath("//*[local-name()='String'][@id='Functions.Namespace']/@DefaultValue")
    assert namespace == ["DOCRELAY"] and len(namespace[0]) <= 32
    for url in urls:
        if "/assets/" in str(url) or str(url).endswith((".html", ".json")):
            assert bridge.session.get(str(url), timeout=10).status_code == 200, url


def _read_manifest(path: Path) -> dict[str, object]:
    """office-addin-manifest's readManifestFile (local parsing; its `validate` would go online)."""
    import subprocess

    repo = Path(__file__).resolve().parent.parent
    script = (
        "require('office-addin-manifest').OfficeAddinManifest.readManifestFile(process.argv[1])"
        ".then(m => console.log(JSON.stringify(m)))"
        ".catch(e => { console.error(e.message); process.exit(1); });"
    )
    done = subprocess.run(
        ["node", "-e", script, str(path)], cwd=repo, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    parsed: dict[str, object] = json.loads(done.stdout)
    return parsed


# -- lifetime ---------------------------------------------------------------------------------------
def test_a_restarted_bridge_still_has_every_result(tmp_path: Path) -> None:
    first = start_bridge(tmp_path)
    try:
        job = first.ok(
            "POST", "/api/push", json={"workbook": "wb-restart-01", "sources": [str(_docs(tmp_path)[0])]}
        )
        first.wait_job(job["job"])
    finally:
        code, out, err = first.stop()
    assert code == 0 and json.loads(out)["ok"] is True, err
    second = start_bridge(tmp_path, port=first.port)
    try:
        planned = second.ok(
            "POST", "/api/plan", json={"workbook": "wb-restart-01", "snapshot": EMPTY_SNAPSHOT}
        )
        assert planned["results"] == 1 and planned["summary"]["statuses"].get("pending", 0) == 0
    finally:
        second.stop()


def test_a_port_in_use_is_a_clear_usage_error(bridge: Bridge, tmp_path: Path) -> None:
    import subprocess

    from tests.bridge_helpers import excel_executable
    from tests.cli_helpers import isolated_env

    env = isolated_env(tmp_path, DOCRELAY_BRIDGE_HOME=str(tmp_path / "other-home"))
    done = subprocess.run(
        [excel_executable(), "serve", "--port", str(bridge.port), "--provider", "local"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    error = json.loads(done.stdout)["error"]
    assert f"Port {bridge.port}" in error["message"] and "--port" in error["message"]
    assert "Traceback" not in done.stderr


def test_http_without_tls_is_not_served(bridge: Bridge) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", bridge.port, timeout=10)
    try:
        connection.request("GET", "/api/health", headers={"Host": f"localhost:{bridge.port}"})
        response = connection.getresponse()
        assert response.status >= 400
    except (http.client.HTTPException, OSError):
        pass  # the TLS server drops plain HTTP
    finally:
        connection.close()
