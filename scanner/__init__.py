"""specguard: compliance-as-code scanner (import package ``scanner``)."""
__version__ = "0.1.0"
