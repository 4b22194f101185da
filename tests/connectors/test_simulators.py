"""The simulated OPD apps: faults on demand (Python and HTTP control API), prompt shutdown."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from connectors import registry
from connectors.config import validate_config
from connectors.http import build_client
from hub.simulators import DLHApp
from hub.simulators.base import Request, Response, Route, SimulatedApp, json_response
from hub.simulators.run import start_all


class Echo(SimulatedApp):
    name = "echo"

    def __init__(self, hang_limit: float) -> None:
        self.reached = threading.Event()
        super().__init__(hang_limit=hang_limit)

    def routes(self) -> list[Route]:
        return [
            Route("GET", r"/items/(?P<id>\d+)", self._item),
            Route("POST", "/boom", self._boom),
        ]

    def _item(self, request: Request) -> Response:
        self.reached.set()
        return json_response({"id": request.params["id"], "q": request.query})

    def _boom(self, request: Request) -> Response:
        raise RuntimeError("simulator bug")


@pytest.fixture
def echo() -> Iterator[Echo]:
    with Echo(hang_limit=2.0) as app:
        yield app


@pytest.fixture
def client(echo: Echo) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=echo.url, timeout=1.0) as c:
        yield c


def test_routes_params_and_unknown_paths(echo: Echo, client: httpx.Client) -> None:
    assert client.get("/items/7?x=1").json() == {"id": "7", "q": {"x": "1"}}
    assert client.get("/nothing").status_code == 404
    assert client.delete("/items/7").status_code == 405
    assert client.post("/boom").json() == {"error": "RuntimeError: simulator bug"}
    assert [r.path for r in echo.requests] == ["/items/7", "/nothing", "/items/7", "/boom"]


def test_a_fault_for_n_requests_then_normal(echo: Echo, client: httpx.Client) -> None:
    echo.fail("error", status=502, times=2)
    codes = [client.get("/items/1").status_code for _ in range(3)]
    assert codes == [502, 502, 200]


def test_rate_limit_and_garbage(echo: Echo, client: httpx.Client) -> None:
    echo.fail("rate_limit", retry_after="12", times=1)
    limited = client.get("/items/1")
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "12")
    echo.fail("garbage", times=1)
    garbage = client.get("/items/1")
    assert garbage.status_code == 200
    with pytest.raises(ValueError):
        garbage.json()


def test_unknown_fault_modes_are_refused(echo: Echo) -> None:
    with pytest.raises(ValueError, match="unknown fault mode"):
        echo.fail("explode")  # type: ignore[arg-type]


def test_the_control_api_sets_and_clears_faults(echo: Echo, client: httpx.Client) -> None:
    assert client.post("/_control/fault", json={"mode": "error", "status": 500}).status_code == 200
    assert client.get("/_control/state").json()["fault"] == "error"
    assert client.get("/items/1").status_code == 500
    client.delete("/_control/fault")
    assert client.get("/items/1").status_code == 200
    assert client.post("/_control/fault", json={"mode": "nope"}).status_code == 400
    assert all(not r.path.startswith("/_control") for r in echo.requests)


def test_a_hang_outlasts_the_client_timeout_and_heal_releases_it(echo: Echo) -> None:
    echo.fail("timeout")
    with httpx.Client(base_url=echo.url, timeout=0.2) as c, pytest.raises(httpx.ReadTimeout):
        c.get("/items/1")
    echo.heal()
    with httpx.Client(base_url=echo.url, timeout=1.0) as c:
        assert c.get("/items/1").status_code == 200


def test_stop_is_prompt_even_with_a_hanging_request() -> None:
    app = Echo(hang_limit=30.0).start()
    app.fail("timeout", after_commit=True)  # handled (sets `reached`), then hangs
    url = app.url
    outcome: list[str] = []

    def call() -> None:
        try:
            with httpx.Client(timeout=10.0) as c:
                outcome.append(str(c.get(f"{url}/items/1").status_code))
        except httpx.HTTPError as exc:
            outcome.append(type(exc).__name__)

    caller = threading.Thread(target=call)
    caller.start()
    assert app.reached.wait(5)
    started = time.monotonic()
    app.stop()
    caller.join(timeout=5)
    assert time.monotonic() - started < 2.0
    assert outcome  # the caller got an answer or an error, it did not hang


def test_dlh_status_can_be_set_over_the_control_api(dlh: DLHApp) -> None:
    dlh.records["DLH-1"] = {"id": "DLH-1", "status": "DITERIMA"}
    with httpx.Client(base_url=dlh.url) as c:
        event = c.post("/_control/status", json={"laporan_id": "DLH-1", "status": "SELESAI"}).json()
        assert event["status"] == "SELESAI" and dlh.events == [event]
        bad = c.post("/_control/status", json={"laporan_id": "DLH-1", "status": "HILANG"})
        assert bad.status_code == 400


@pytest.mark.anyio
async def test_start_all_gives_registrable_instances_that_pass_check() -> None:
    sims = start_all(hang_limit=2.0)
    try:
        reg = registry.load()
        async with build_client(timeout=2.0) as client:
            for name, instance in sims.connector_instances().items():
                cls = reg.get(instance["connector"])
                validate_config(instance["config"], cls.config_schema)
                result = await cls(instance["config"], client).check()
                assert result.ok, f"{name}: {result.detail}"
    finally:
        sims.stop()
