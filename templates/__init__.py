"""Jinja2 templates (pdf/, email/, ui/), installed as the package ``fakturaport_templates``."""
