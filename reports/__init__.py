"""Report templates (installed as ``scanner.reports``; Jinja2 files in templates/)."""
