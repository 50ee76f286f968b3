"""A health record share against the sandbox: the practitioner sees the profile while it lasts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starlette.testclient import TestClient

from server.auth.services import auth_of
from tests.mocks.test_sandbox_flow import USER, Receiver, bearer, sandbox


def test_a_health_record_share_opens_the_profile_to_the_practitioner_until_revoked() -> None:
    built = sandbox(Receiver())
    user = bearer(built, USER, ["read:health_records", "write:health_records"])
    token = auth_of(built.runtime.extras).issue_token(
        "test_prac_123",
        ["read:health_records"],
        user_type="practitioner",
        practitioner_id="test_prac_123",
    )
    practitioner = {"Authorization": f"Bearer {token}"}
    profile = f"/v1/users/{USER}/health_profile"
    with TestClient(built.app) as tc:
        assert tc.get(profile, headers=practitioner).status_code == 403
        share = tc.post(
            "/v1/health_records/share",
            json={
                "data": {
                    "type": "health_record_share",
                    "attributes": {
                        "practitioner_id": "test_prac_123",
                        "record_types": ["conditions", "goals"],
                        # at most one year ahead (the spec's rule)
                        "expires_at": (datetime.now(UTC) + timedelta(days=30)).strftime(
                            "%Y-%m-%dT%H:%M:%SZ"
                        ),
                    },
                }
            },
            headers=user,
        )
        assert share.status_code == 201, share.text
        data = share.json()["data"]
        assert data["relationships"]["user"]["data"]["id"] == USER
        assert data["relationships"]["practitioner"]["data"]["id"] == "test_prac_123"
        assert tc.get(profile, headers=practitioner).status_code == 200
        revoked = tc.delete(f"/v1/health_records/shares/{data['id']}", headers=user)
        assert revoked.status_code == 204
        listed = tc.get("/v1/health_records/shares", headers=user).json()["data"]
        assert next(s for s in listed if s["id"] == data["id"])["attributes"]["status"] == "revoked"
        assert tc.get(profile, headers=practitioner).status_code == 403
