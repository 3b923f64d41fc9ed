from api.app import bind, create_app
from registry.bootstrap import Registry
from registry.config import Settings
from tests.builders import AGREEMENTS, labusel_pks
from tests.callers import Caller


def test_a_signed_agreement_can_be_read_back(admin):
    created = admin.post("/api/v1/agreements", json=labusel_pks())
    assert created.status_code == 201, created.json
    fetched = admin.get(created.headers["Location"])
    assert fetched.json["agreement_number"] == "PKS-LABUSEL-2022"


def test_an_app_pointed_at_another_registry_serves_it_as_an_app_built_for_it_would(tmp_path):
    # The `app` fixture points one app at each test's registry (tests/conftest.py).
    first = Registry.open(Settings.from_env({
        "REGISTRY_DATABASE_URL": f"sqlite:///{tmp_path}/first.db"}))
    second = Registry.open(Settings.from_env({
        "REGISTRY_DATABASE_URL": f"sqlite:///{tmp_path}/second.db",
        "REGISTRY_MAX_BODY_BYTES": "4096"}))
    try:
        reused = create_app(registry=first)
        bind(reused, second)
        built = create_app(registry=second)
        assert dict(reused.config) == dict(built.config)
        assert reused.extensions.keys() == built.extensions.keys()
        assert reused.extensions["registry"] is second
        admin = Caller(reused.test_client(), second.tokens.create("admin", "admin", []))
        assert admin.post(AGREEMENTS, json=labusel_pks()).status_code == 201
        assert admin.post(AGREEMENTS, json=labusel_pks(title="x" * 5000)).status_code == 413
        assert (first.app.head_position(), second.app.head_position()) == (0, 2)
    finally:
        first.close()
        second.close()
