"""Working with Checkov, which is never a dependency of specguard (it runs in its own environment).

- ``conf``: Checkov's view of a resource (its ``conf`` dict) turned into specguard's model, so the
  exported checks give specguard's verdicts;
- ``export``: ``specguard export-checkov`` writes specguard's controls as Checkov custom checks;
- ``runtime``: what those exported checks import inside Checkov's environment;
- ``results``: Checkov's own JSON results read as supplementary findings of a scan.
"""
