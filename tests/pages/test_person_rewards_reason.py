"""An employee sees the status of their rewards and why HR rejected one (POLICY.md §6)."""

from __future__ import annotations

import pytest

from rewards.models import RewardSuggestion
from tests.builders import hr_user, reward

pytestmark = pytest.mark.django_db


def test_a_rep_sees_the_reason_a_reward_was_rejected_on_their_pages(org, rep_client):
    reward(org.r01, status=RewardSuggestion.Status.REJECTED, decided_by=hr_user(), reason="Sales were booked twice.")

    for url in ("/employees/R01/",):  # their own page lists every reward (/me/ counts them)
        page = rep_client.get(url).content.decode()
        assert "rejected" in page and "Reason: Sales were booked twice." in page


def test_a_peer_never_sees_it(org, rep_client):
    reward(org.r02, status=RewardSuggestion.Status.REJECTED, decided_by=hr_user(), reason="Private to R02.")

    assert "Private to R02." not in rep_client.get("/me/").content.decode()
    assert rep_client.get("/employees/R02/").status_code == 404
