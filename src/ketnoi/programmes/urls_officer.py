"""Placeholder until filled in."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
