"""Klear Karma's bookings: create (conflict-safe), read, update (lifecycle), cancel (policy)."""

from __future__ import annotations

from handlers.lifecycle import domain_group

bookings = domain_group("bookings")
