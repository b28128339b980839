"""The admin API over HTTP against a real ucd on loopback (ephemeral ports)."""

from __future__ import annotations

import httpx
import pytest

from ucd_harness import Ucd, start_ucd


# The tests share one ucd (the module fixture below): under pytest-xdist they run on one
# worker, in order (make test: --dist loadgroup), rather than each worker making its own.
pytestmark = pytest.mark.xdist_group("test_ucd_admin_api")


@pytest.fixture(scope="module")
def ucd(tmp_path_factory) -> Ucd:
    running = start_ucd(tmp_path_factory.mktemp("ucd-api"))
    yield running
    assert running.stop() == 0, running.output()


def test_openapi_schema_is_published_without_a_token(ucd):
    schema = httpx.get(ucd.admin_url + "/api/openapi.json", timeout=20).json()
    assert schema["info"]["title"] == "ucd admin API"
    assert {"/api/v1/users", "/api/v1/users/{user}", "/api/v1/registrations"} <= set(schema["paths"])
    assert set(schema["paths"]["/api/v1/users/{user}"]) == {"get", "patch", "delete"}


def test_token_secret_and_database_files_are_private(ucd):
    for name in ("admin-token", "sip-secret", "ucd.sqlite3"):
        assert (ucd.data_dir / name).stat().st_mode & 0o777 == 0o600, name
    assert ucd.data_dir.stat().st_mode & 0o777 == 0o700
    assert len(ucd.token) >= 32


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token-wrong-token"},
                                     {"Authorization": "Basic dXNlcjpwYXNz"}])
def test_the_api_wants_the_bearer_token(ucd, headers):
    response = httpx.get(ucd.admin_url + "/api/v1/users", headers=headers, timeout=20)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"] == "unauthorized"


def test_healthz(ucd):
    response = httpx.get(ucd.admin_url + "/healthz", timeout=20)
    assert (response.status_code, response.text) == (200, "ok\n")


def test_users_crud_with_clear_errors(ucd):
    with ucd.api() as api:
        created = api.post("/api/v1/users", json={
            "user": "carol", "password": "s3cret", "display_name": "Carol", "line_uri": "tel:+14255550123",
            "policies": {"voice": "International"}})
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["uri"] == "sip:carol@example.test"
        assert body["digest_algorithms"] == ["MD5", "SHA-256"]
        assert "password" not in body and "credentials" not in body

        duplicate = api.post("/api/v1/users", json={"user": "sip:carol@example.test", "password": "x"})
        assert duplicate.status_code == 409
        assert duplicate.json() == {"error": "duplicate", "detail": "user sip:carol@example.test already exists",
                                    "field": None}

        assert api.get("/api/v1/users/carol").json()["line_uri"] == "tel:+14255550123"
        assert api.get("/api/v1/users/sip:carol@example.test").json()["display_name"] == "Carol"
        assert [u["uri"] for u in api.get("/api/v1/users").json()] == ["sip:carol@example.test"]

        changed = api.patch("/api/v1/users/carol", json={"enabled": False, "line_uri": ""})
        assert changed.status_code == 200
        assert (changed.json()["enabled"], changed.json()["line_uri"]) == (False, None)

        bad_line = api.patch("/api/v1/users/carol", json={"line_uri": "555-0123"})
        assert bad_line.status_code == 422
        assert bad_line.json()["field"] == "line_uri"
        assert "tel:+E.164" in bad_line.json()["detail"]

        missing_password = api.post("/api/v1/users", json={"user": "dave"})
        assert missing_password.status_code == 422
        assert missing_password.json()["field"] == "password"

        unknown_field = api.post("/api/v1/users", json={"user": "dave", "password": "x", "colour": "red"})
        assert unknown_field.status_code == 422
        assert unknown_field.json()["field"] == "colour"

        other_domain = api.post("/api/v1/users", json={"user": "dave@elsewhere.test", "password": "x"})
        assert other_domain.status_code == 422
        assert other_domain.json()["detail"] == "this server serves the SIP domain example.test, not elsewhere.test"

        bad_name = api.post("/api/v1/users", json={"user": "da ve", "password": "x"})
        assert bad_name.status_code == 422 and bad_name.json()["field"] == "user"

        assert api.delete("/api/v1/users/carol").status_code == 204
        for method in ("GET", "DELETE"):
            gone = api.request(method, "/api/v1/users/carol")
            assert gone.status_code == 404
            assert gone.json()["detail"] == "no user sip:carol@example.test"
        assert api.patch("/api/v1/users/carol", json={"enabled": True}).status_code == 404


def test_registrations_list_starts_empty_and_server_reports_listeners(ucd):
    with ucd.api() as api:
        assert api.get("/api/v1/registrations").json() == []
        server = api.get("/api/v1/server").json()
    assert server["domain"] == "example.test"
    assert set(server["listening"]) == {"UDP", "TCP", "TLS", "WS"}
    assert server["draining"] is False


def test_admin_api_is_not_served_on_the_websocket_port(ucd):
    host, port = ucd.sip_address("WS")
    response = httpx.get(f"http://{host}:{port}/api/openapi.json", timeout=20)
    assert response.status_code == 404


def test_sip_over_websocket_is_served_by_the_same_http_stack(ucd):
    import asyncio

    from websockets.asyncio.client import connect

    from uc_signal.sip import Response, parse_message

    host, port = ucd.sip_address("WS")
    request = ("OPTIONS sip:nobody@example.test SIP/2.0\r\n"
               "Via: SIP/2.0/WS client.invalid;branch=z9hG4bKws1\r\n"
               "Max-Forwards: 70\r\nFrom: <sip:probe@example.test>;tag=p1\r\nTo: <sip:nobody@example.test>\r\n"
               "Call-ID: ws-probe@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")

    async def probe() -> Response:
        async with connect(f"ws://{host}:{port}/", subprotocols=["sip"], open_timeout=20) as websocket:
            await websocket.send(request)
            for _ in range(5):
                message = parse_message((await asyncio.wait_for(websocket.recv(), 20)).encode())
                if isinstance(message, Response) and message.status >= 200:
                    return message
        raise AssertionError("no final response over WS")

    response = asyncio.run(probe())
    assert response.cseq.method == "OPTIONS"
    assert response.status >= 400   # a local domain's unknown user or an unauthenticated caller


def test_metrics_count_malformed_input_and_keep_serving(ucd):
    import re
    import socket

    def dropped() -> float:
        found = re.search(r'^ucd_sip_malformed_total\{outcome="dropped"\} (\S+)$', ucd.metrics(), re.MULTILINE)
        return float(found.group(1)) if found else 0.0

    before = dropped()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(b"\x00\x01garbage that is not SIP\r\n\r\n", ucd.sip_address("UDP"))
    for _ in range(100):   # the datagram is handled asynchronously; bounded polling
        if dropped() > before:
            break
    assert dropped() == before + 1
    assert httpx.get(ucd.admin_url + "/healthz", timeout=20).status_code == 200


def test_metrics_gauge_open_connections_by_transport(ucd):
    import re
    import socket

    def tcp_connections() -> float:
        found = re.search(r'^ucd_sip_connections\{transport="TCP"\} (\S+)$', ucd.metrics(), re.MULTILINE)
        assert found, ucd.metrics()
        return float(found.group(1))

    assert tcp_connections() == 0
    with socket.create_connection(ucd.sip_address("TCP"), timeout=20):
        for _ in range(100):   # accepted asynchronously; bounded polling
            if tcp_connections() == 1:
                break
        assert tcp_connections() == 1


def test_sip_over_secure_websocket_when_configured(tmp_path):
    import asyncio
    import ssl

    from websockets.asyncio.client import connect

    from uc_signal.sip import Response, parse_message

    wss = start_ucd(tmp_path, {"sip": {"transports": ["udp", "wss"], "wss_port": 0}})
    try:
        listening = wss.server()["listening"]
        assert set(listening) == {"UDP", "WSS"}
        assert "wss://" in wss.output()
        host, port = wss.sip_address("WSS")
        context = ssl.create_default_context(cafile=str(wss.data_dir / "sip-tls-selfsigned.crt"))
        context.check_hostname = False
        request = ("OPTIONS sip:nobody@example.test SIP/2.0\r\n"
                   "Via: SIP/2.0/WSS client.invalid;branch=z9hG4bKwss1\r\n"
                   "Max-Forwards: 70\r\nFrom: <sip:probe@example.test>;tag=p1\r\nTo: <sip:nobody@example.test>\r\n"
                   "Call-ID: wss-probe@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")

        async def probe() -> Response:
            async with connect(f"wss://{host}:{port}/", subprotocols=["sip"], ssl=context,
                               open_timeout=20) as websocket:
                await websocket.send(request)
                for _ in range(5):
                    message = parse_message((await asyncio.wait_for(websocket.recv(), 20)).encode())
                    if isinstance(message, Response) and message.status >= 200:
                        return message
            raise AssertionError("no final response over WSS")

        response = asyncio.run(probe())
        assert response.cseq.method == "OPTIONS" and response.status >= 400
    finally:
        assert wss.stop() == 0, wss.output()
