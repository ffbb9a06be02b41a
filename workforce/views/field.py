"""Placeholder until written."""

urlpatterns: list = []
