"""Klear Karma's practitioner directory: search, profiles, availability."""

from __future__ import annotations

from handlers.lifecycle import domain_group

practitioners = domain_group("practitioners")
