from tests.conftest import labusel_pks


def test_a_signed_agreement_can_be_read_back(admin):
    created = admin.post("/api/v1/agreements", json=labusel_pks())
    assert created.status_code == 201, created.json
    fetched = admin.get(created.headers["Location"])
    assert fetched.json["agreement_number"] == "PKS-LABUSEL-2022"
